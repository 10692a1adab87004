/**
 * `createPostgresStore`: durable runs' checkpoints and leases in PostgreSQL,
 * through a `pg` pool you already have.
 *
 * - **One statement per settlement.** A save is one `INSERT … ON CONFLICT DO
 *   UPDATE` in autocommit: a reader sees the previous checkpoint or the new
 *   one, and a crash mid-write leaves the previous one.
 * - **The lease is a row with an expiry**, on the database's clock. Taking
 *   it is one `INSERT … ON CONFLICT DO UPDATE … WHERE expires_at <= now()`:
 *   of two processes that take a run at once, exactly one gets the row; an
 *   owner that dies (even by SIGKILL) stops renewing, and once its lease
 *   expires the next start takes the run over. A row rather than an advisory
 *   lock: a lock lives as long as its connection, so it would pin one pooled
 *   connection per running run, and a half-open connection would keep it.
 * - **The tables are made on first use** (`CREATE … IF NOT EXISTS`, under a
 *   transaction-scoped advisory lock so that two processes starting at once
 *   do not race); see tables.ts for the schema.
 * - **What an operator does**: `list` runs (active or finished), `delete`
 *   one, `expire` finished runs older than an age.
 */
import { randomUUID } from 'node:crypto';
import { assertLeaseOptions, assertRunId, parseCheckpoint, RunLeaseError, type RunCheckpoint, type RunStore } from '../../runtime/run-store.js';
import { showValue } from '../../core/describe.js';
import { assertIdentifier, createStatements, statementsOf, tablesOf, type Tables } from './tables.js';

/** What the store needs of a `pg` `Pool` (or `Client`): `query` with parameters. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** Options of `createPostgresStore`. */
export interface PostgresStoreOptions {
  /** A `pg` `Pool` (or anything with its `query`); the store never ends it. */
  pool: PostgresQueryable;
  /** The schema of the tables, made if missing. Default: none (the connection's `search_path`, usually `public`). */
  schema?: string;
  /** The runs table; the leases table is `<table>_leases`. Default: `'xstate_parallel_tools_runs'`. */
  table?: string;
}

/** One run, as `list` shows it. */
export interface PostgresRunInfo {
  runId: string;
  kind: RunCheckpoint['kind'];
  /** The last checkpoint's snapshot status: `'active'` while the run runs (or was cut short), else `'done'`, `'error'` or `'stopped'`. */
  status: string;
  createdAt: Date;
  /** When the last checkpoint was saved. */
  updatedAt: Date;
  /** Until when an owner holds the run, when one does. */
  leasedUntil: Date | undefined;
}

/** Options of `PostgresRunStore.list`. */
export interface ListRunsOptions {
  /** `'active'`: runs whose last checkpoint is active; `'finished'`: the others. Default: both. */
  status?: 'active' | 'finished';
  /** At most this many, newest first. Default: `100`. */
  limit?: number;
}

/** A `RunStore` in PostgreSQL, with what an operator needs besides. */
export interface PostgresRunStore extends RunStore {
  /** Runs, newest saved first. */
  list(options?: ListRunsOptions): Promise<PostgresRunInfo[]>;
  /**
   * Deletes finished runs whose last checkpoint is at least `olderThanMs` old and that no one
   * holds, and leases that expired that long ago; resolves with the deleted runs' ids.
   */
  expire(options: { olderThanMs: number }): Promise<string[]>;
  /** Makes the tables now (else the first call does). */
  migrate(): Promise<void>;
}

/**
 * Makes the tables. One query of several statements, which Postgres runs as
 * one transaction: the advisory lock (keyed by the table's name) is held
 * until they are all done, so two processes starting at once do not race on
 * `CREATE … IF NOT EXISTS`. The names are checked identifiers, so they can
 * be spelled out in the text.
 */
async function migrate(pool: PostgresQueryable, tables: Tables): Promise<void> {
  const lock = `SELECT pg_advisory_xact_lock(hashtext('${tables.runsName}'))`;
  await pool.query([lock, ...createStatements(tables)].join(';\n'));
}

function assertCount(value: unknown, option: string, least: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    throw new TypeError(`Expected \`${option}\` to be an integer from ${least} up, got ${showValue(value)}`);
  }
  return value;
}

/** A snapshot's status, for listing: `'active'` when it has none. */
function statusOf(checkpoint: RunCheckpoint): string {
  const { status } = checkpoint.snapshot as { status?: unknown };
  return typeof status === 'string' ? status : 'active';
}

/**
 * Creates a run store in PostgreSQL.
 *
 * @param options - `pool` (a `pg` `Pool`), and optionally `schema` and `table`.
 * @returns the store: `load`, `save`, `delete`, `lease`, and `list`, `expire`, `migrate`.
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
 * const store = createPostgresStore({ pool });
 * const outputs = await runToolBatch(calls, { tools, store, runId: 'run-1' });
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresRunStore {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object with \`pool\`, got ${showValue(options)}`);
  const { pool, schema, table = 'xstate_parallel_tools_runs' } = options;
  if (typeof pool !== 'object' || pool === null || typeof (pool as { query?: unknown }).query !== 'function') {
    throw new TypeError(`Expected \`pool\` to be a pg Pool (an object with a \`query\` method), got ${showValue(pool)}`);
  }
  if (schema !== undefined) assertIdentifier(schema, 'schema');
  assertIdentifier(table, 'table');
  const tables = tablesOf(schema, table);
  const sql = statementsOf(tables);
  const locationOf = (runId: string): string => `Postgres table ${tables.runsName}, run_id '${runId}'`;

  // Made once per store; a failure (the database was down) is tried again by the next call.
  let migrated: Promise<void> | undefined;
  const ready = (): Promise<void> => {
    migrated ??= migrate(pool, tables).catch((error: unknown) => {
      migrated = undefined;
      throw error;
    });
    return migrated;
  };
  const query = async (text: string, values: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> => {
    await ready();
    return pool.query(text, values);
  };

  return {
    async load(runId) {
      assertRunId(runId);
      const { rows } = await query(sql.load, [runId]);
      const row = rows[0] as { checkpoint: string } | undefined;
      return row === undefined ? undefined : parseCheckpoint(row.checkpoint, runId, locationOf(runId));
    },
    async save(runId, checkpoint) {
      assertRunId(runId);
      await query(sql.save, [runId, checkpoint.kind, statusOf(checkpoint), JSON.stringify(checkpoint)]);
    },
    async delete(runId) {
      assertRunId(runId);
      await query(sql.delete, [runId]);
    },
    async lease(runId, leaseOptions) {
      const ttlMs = assertLeaseOptions(leaseOptions);
      assertRunId(runId);
      const owner = randomUUID();
      if ((await query(sql.take, [runId, owner, ttlMs])).rowCount !== 1) {
        const { rows } = await query(sql.holder, [runId]);
        const left = (rows[0] as { left_ms: string } | undefined)?.left_ms ?? '0';
        throw new RunLeaseError(
          runId,
          `Run "${runId}" is held by another owner (Postgres table ${tables.leasesName}) for ${left} ms more unless it renews; start it again after that, or with another run id`,
        );
      }
      let released = false;
      return {
        runId,
        owner,
        async renew() {
          if (released || (await query(sql.renew, [runId, owner, ttlMs])).rowCount !== 1) {
            throw new RunLeaseError(runId, `Run "${runId}" was taken over by another owner: this owner's lease expired before it was renewed`);
          }
        },
        async release() {
          if (released) return;
          released = true;
          await query(sql.release, [runId, owner]);
        },
      };
    },
    async list(listOptions = {}) {
      const { status, limit = 100 } = listOptions;
      if (status !== undefined && status !== 'active' && status !== 'finished') {
        throw new TypeError(`Expected \`status\` to be "active" or "finished", got ${showValue(status)}`);
      }
      assertCount(limit, 'limit', 1);
      const { rows } = await query(sql.list, [status ?? null, limit]);
      return (rows as Array<{ run_id: string; kind: RunCheckpoint['kind']; status: string; created_at: Date; updated_at: Date; leased_until: Date | null }>).map(
        (row) => ({
          runId: row.run_id,
          kind: row.kind,
          status: row.status,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
          leasedUntil: row.leased_until ?? undefined,
        }),
      );
    },
    async expire(expireOptions) {
      const olderThanMs = assertCount((expireOptions as { olderThanMs?: unknown } | undefined)?.olderThanMs, 'olderThanMs', 0);
      const { rows } = await query(sql.expire, [olderThanMs]);
      await query(sql.expireLeases, [olderThanMs]);
      return (rows as Array<{ run_id: string }>).map((row) => row.run_id).sort();
    },
    migrate: ready,
  };
}
