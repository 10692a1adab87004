/**
 * A PostgreSQL schema of the test's own, in the database the machine runs
 * (`DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`; `.ci/run`
 * starts one where it is missing), dropped with everything in it at the end,
 * so that no test sees what another left.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The database the tests use. */
export const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema for one test file, and a pool to reach it. */
export interface TestSchema {
  /** `t_<random>`: give it to `createPostgresStore({ pool, schema })`. */
  readonly name: string;
  readonly pool: pg.Pool;
  /** Drops the schema with everything in it and ends the pool. */
  drop(): Promise<void>;
}

/**
 * Makes a fresh schema.
 *
 * @returns the schema; call `drop()` in `afterAll`.
 */
export async function createTestSchema(): Promise<TestSchema> {
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
  await pool.query(`CREATE SCHEMA "${name}"`);
  return {
    name,
    pool,
    async drop() {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}
