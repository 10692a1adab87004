/**
 * The Postgres store (`createPostgresStore`) against the store contract that
 * the file and Redis stores pass too (test/helpers/store-contract.ts), on the
 * real PostgreSQL, in a schema of this file's own; then what only it does:
 * the tables it makes, listing and expiring runs, and its option checks.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresRunStore } from '../../src/adapters/postgres/index.js';
import { runToolBatch } from '../../src/index.js';
import { createTestSchema, databaseUrl, type TestSchema } from '../helpers/postgres.js';
import { runStoreContract } from '../helpers/store-contract.js';
import { defineTool } from '../../src/runtime/tools.js';
import { z } from 'zod';

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(async () => {
  await schema?.drop();
});

runStoreContract('createPostgresStore', async () => {
  // The second store has a pool of its own, as a second process would.
  const secondPool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const store = createPostgresStore({ pool: schema.pool, schema: schema.name, table: 'contract_runs' });
  const second = createPostgresStore({ pool: secondPool, schema: schema.name, table: 'contract_runs' });
  await store.migrate();
  const table = `"${schema.name}".contract_runs`;
  return {
    store,
    second,
    writeRaw: async (runId, text) =>
      void (await schema.pool.query(
        `INSERT INTO ${table} (run_id, kind, status, checkpoint) VALUES ($1, 'batch', 'active', $2) ON CONFLICT (run_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint`,
        [runId, text],
      )),
    readRaw: async (runId) => ((await schema.pool.query(`SELECT checkpoint FROM ${table} WHERE run_id = $1`, [runId])).rows[0] as { checkpoint: string } | undefined)?.checkpoint,
    location: (runId) => `Postgres table ${schema.name}.contract_runs, run_id '${runId}'`,
    close: () => secondPool.end(),
  };
});

/** The columns of a table, as `name type nullable`. */
async function columnsOf(table: string): Promise<string[]> {
  const { rows } = await schema.pool.query(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema.name, table],
  );
  return (rows as Array<{ column_name: string; data_type: string; is_nullable: string }>).map((row) => `${row.column_name} ${row.data_type}${row.is_nullable === 'NO' ? ' not null' : ''}`);
}

describe('createPostgresStore', () => {
  it('makes its two tables on first use, once however many stores start at once', async () => {
    const stores = Array.from({ length: 4 }, () => createPostgresStore({ pool: schema.pool, schema: schema.name, table: 'made_runs' }));
    await Promise.all(stores.map((store) => store.load('nothing')));
    expect(await columnsOf('made_runs')).toEqual([
      'run_id text not null',
      'kind text not null',
      'status text not null',
      'checkpoint text not null',
      'created_at timestamp with time zone not null',
      'updated_at timestamp with time zone not null',
    ]);
    expect(await columnsOf('made_runs_leases')).toEqual(['run_id text not null', 'owner uuid not null', 'expires_at timestamp with time zone not null']);
  });

  it('writes a checkpoint in one statement, and keeps its kind and snapshot status in columns', async () => {
    const store = createPostgresStore({ pool: schema.pool, schema: schema.name, table: 'written_runs' });
    await store.migrate();
    const statements: string[] = [];
    const counting = { query: (text: string, values?: unknown[]) => (statements.push(text.split(' ')[0]!), schema.pool.query(text, values)) };
    const counted = createPostgresStore({ pool: counting, schema: schema.name, table: 'written_runs' });
    await counted.load('r1'); // the tables are checked once, before this
    statements.length = 0;
    await counted.save('r1', { version: 1, kind: 'agent', snapshot: { status: 'done' } });
    expect(statements).toEqual(['INSERT']);
    const { rows } = await schema.pool.query(`SELECT run_id, kind, status, checkpoint FROM "${schema.name}".written_runs`);
    expect(rows).toEqual([{ run_id: 'r1', kind: 'agent', status: 'done', checkpoint: '{"version":1,"kind":"agent","snapshot":{"status":"done"}}' }]);
  });

  describe('what an operator does', () => {
    let store: PostgresRunStore;
    const table = (): string => `"${schema.name}".operated_runs`;
    /** Saves a run whose last save was `ageMs` ago (on the database's clock). */
    const saveAged = async (runId: string, status: string, ageMs: number): Promise<void> => {
      await store.save(runId, { version: 1, kind: 'batch', snapshot: { status } });
      await schema.pool.query(`UPDATE ${table()} SET updated_at = now() - $2 * interval '1 millisecond', created_at = now() - $2 * interval '1 millisecond' WHERE run_id = $1`, [runId, ageMs]);
    };

    beforeAll(async () => {
      store = createPostgresStore({ pool: schema.pool, schema: schema.name, table: 'operated_runs' });
      await saveAged('old-done', 'done', 3_600_000);
      await saveAged('old-error', 'error', 7_200_000);
      await saveAged('old-held', 'done', 5_400_000);
      await saveAged('old-active', 'active', 9_000_000);
      await saveAged('new-done', 'done', 60_000);
      await saveAged('new-active', 'active', 0);
    });

    it('lists runs newest first, active or finished, with who holds them', async () => {
      const lease = await store.lease('new-active', { ttlMs: 60_000 });
      const all = await store.list();
      expect(all.map((run) => `${run.runId} ${run.kind} ${run.status} ${run.leasedUntil === undefined ? 'free' : 'held'}`)).toEqual([
        'new-active batch active held',
        'new-done batch done free',
        'old-done batch done free',
        'old-held batch done free',
        'old-error batch error free',
        'old-active batch active free',
      ]);
      expect(all.every((run) => run.createdAt instanceof Date && run.updatedAt instanceof Date)).toBe(true);
      expect((await store.list({ status: 'active' })).map((run) => run.runId)).toEqual(['new-active', 'old-active']);
      expect((await store.list({ status: 'finished', limit: 2 })).map((run) => run.runId)).toEqual(['new-done', 'old-done']);
      await lease.release();
    });

    it('expires finished runs older than an age that no one holds, never an active or a held one', async () => {
      const held = await store.lease('old-held', { ttlMs: 60_000 });
      expect(await store.expire({ olderThanMs: 1_800_000 })).toEqual(['old-done', 'old-error']);
      expect((await store.list()).map((run) => run.runId).sort()).toEqual(['new-active', 'new-done', 'old-active', 'old-held']);
      await held.release();
      expect(await store.expire({ olderThanMs: 1_800_000 })).toEqual(['old-held']);
      expect(await store.expire({ olderThanMs: 1_800_000 })).toEqual([]);
    });

    it('refuses bad list and expire options with a TypeError that shows them', async () => {
      await expect(store.list({ status: 'done' as 'active' })).rejects.toThrow(new TypeError('Expected `status` to be "active" or "finished", got `"done"` (string)'));
      await expect(store.list({ limit: 0 })).rejects.toThrow(new TypeError('Expected `limit` to be an integer from 1 up, got `0` (number)'));
      await expect(store.expire({ olderThanMs: -1 })).rejects.toThrow(new TypeError('Expected `olderThanMs` to be an integer from 0 up, got `-1` (number)'));
    });
  });

  it('runs a durable batch: a finished run gives the same result again without running anything', async () => {
    let runs = 0;
    const echo = defineTool({ name: 'echo', description: 'Echoes', parameters: z.object({ text: z.string() }), execute: ({ text }) => (runs++, text) });
    const store = createPostgresStore({ pool: schema.pool, schema: schema.name });
    const calls = [{ id: 'a', name: 'echo', arguments: { text: 'one' } }];
    expect(await runToolBatch(calls, { tools: [echo], store, runId: 'batch-1' })).toEqual([{ id: 'a', result: 'one' }]);
    expect(await runToolBatch(calls, { tools: [echo], store, runId: 'batch-1' })).toEqual([{ id: 'a', result: 'one' }]);
    expect(runs).toBe(1);
    expect((await store.list()).map((run) => `${run.runId} ${run.status} ${run.leasedUntil === undefined ? 'free' : 'held'}`)).toEqual(['batch-1 done free']);
  });

  it('refuses bad options with a TypeError that shows them', () => {
    expect(() => createPostgresStore({ pool: 'postgres://x' as never })).toThrow(new TypeError('Expected `pool` to be a pg Pool (an object with a `query` method), got `"postgres://x"` (string)'));
    expect(() => createPostgresStore({ pool: schema.pool, schema: 'Runs; DROP' })).toThrow(
      new TypeError('Expected `schema` to be 1–51 lower-case letters, digits or "_", starting with a letter or "_", got `"Runs; DROP"` (string)'),
    );
    expect(() => createPostgresStore({ pool: schema.pool, table: '' })).toThrow(new TypeError('Expected `table` to be 1–51 lower-case letters, digits or "_", starting with a letter or "_", got `""` (string)'));
  });
});

describe('examples/postgres', () => {
  it('runs a durable batch in PostgreSQL, lists the finished run and expires nothing younger than a week', async () => {
    const { main } = await import('../../examples/postgres.js');
    const exampleSchema = `${schema.name}_example`;
    try {
      const { outputs, finished } = await main(databaseUrl, exampleSchema);
      expect(outputs).toEqual([
        { id: 'call_1', result: { city: 'Oslo', celsius: 12 } },
        { id: 'call_2', result: { city: 'Lima', celsius: 12 } },
      ]);
      expect(finished.map((run) => [run.runId, run.kind, run.status, run.leasedUntil])).toEqual([['weather-1', 'batch', 'done', undefined]]);
    } finally {
      await schema.pool.query(`DROP SCHEMA IF EXISTS "${exampleSchema}" CASCADE`);
    }
  });
});
