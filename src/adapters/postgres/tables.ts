/**
 * The Postgres store's two tables and the statements on them, in one place:
 * the README's schema is this file's `createStatements`.
 *
 * - `<table>` keeps one row per run: its checkpoint as text (the JSON the
 *   other stores keep, so a `\u0000` in a tool result survives, which `jsonb`
 *   refuses), its kind, and its snapshot's status, so that finished runs can
 *   be listed and expired without reading their checkpoints.
 * - `<table>_leases` keeps one row per owned run: the owner's token and when
 *   its lease expires, on the database's clock (no two hosts disagree).
 */
import { showValue } from '../../core/describe.js';

/** A quoted, schema-qualified table name and the names used in messages. */
export interface Tables {
  /** `"schema"."table"` (or `"table"`), for SQL. */
  readonly runs: string;
  readonly leases: string;
  /** `schema.table`, for messages. */
  readonly runsName: string;
  readonly leasesName: string;
  /** The schema, when one was given. */
  readonly schema: string | undefined;
}

const identifier = /^[a-z_][a-z0-9_]{0,50}$/;

/**
 * Checks a schema or table name: lower-case letters, digits and `_`, at most
 * 51 characters (the lease table adds `_leases` within Postgres's 63).
 */
export function assertIdentifier(value: unknown, option: string): asserts value is string {
  if (typeof value !== 'string' || !identifier.test(value)) {
    throw new TypeError(`Expected \`${option}\` to be 1–51 lower-case letters, digits or "_", starting with a letter or "_", got ${showValue(value)}`);
  }
}

/**
 * The tables of a store.
 *
 * @param schema - the schema, or `undefined` for the connection's `search_path`.
 * @param table - the runs table's name.
 */
export function tablesOf(schema: string | undefined, table: string): Tables {
  const qualify = (name: string): string => (schema === undefined ? `"${name}"` : `"${schema}"."${name}"`);
  const name = (table: string): string => (schema === undefined ? table : `${schema}.${table}`);
  return { runs: qualify(table), leases: qualify(`${table}_leases`), runsName: name(table), leasesName: name(`${table}_leases`), schema };
}

/** The statements that make the tables, each idempotent. */
export function createStatements(tables: Tables): string[] {
  return [
    ...(tables.schema === undefined ? [] : [`CREATE SCHEMA IF NOT EXISTS "${tables.schema}"`]),
    `CREATE TABLE IF NOT EXISTS ${tables.runs} (
  run_id     text PRIMARY KEY,
  kind       text NOT NULL,
  status     text NOT NULL,
  checkpoint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
    `CREATE INDEX IF NOT EXISTS "${tables.runsName.replace('.', '_')}_finished" ON ${tables.runs} (updated_at) WHERE status <> 'active'`,
    `CREATE TABLE IF NOT EXISTS ${tables.leases} (
  run_id     text PRIMARY KEY,
  owner      uuid NOT NULL,
  expires_at timestamptz NOT NULL
)`,
  ];
}

/** The SQL of each operation, with its parameters in order. */
export function statementsOf(tables: Tables) {
  const { runs, leases } = tables;
  const ttl = `now() + $3 * interval '1 millisecond'`;
  return {
    /** $1 run id. */
    load: `SELECT checkpoint FROM ${runs} WHERE run_id = $1`,
    /** $1 run id, $2 kind, $3 status, $4 checkpoint: one statement, so a reader sees the old row or the new one. */
    save: `INSERT INTO ${runs} (run_id, kind, status, checkpoint) VALUES ($1, $2, $3, $4)
ON CONFLICT (run_id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, checkpoint = EXCLUDED.checkpoint, updated_at = now()`,
    /** $1 run id. */
    delete: `DELETE FROM ${runs} WHERE run_id = $1`,
    /**
     * $1 run id, $2 owner, $3 ttl ms. Takes a free or expired lease in one statement: of two
     * takers at once, the second waits on the first's row lock, then sees a live lease and gets no row.
     */
    take: `INSERT INTO ${leases} (run_id, owner, expires_at) VALUES ($1, $2, ${ttl})
ON CONFLICT (run_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at WHERE ${leases}.expires_at <= now()
RETURNING owner`,
    /** $1 run id: how long the holder has left, in ms. */
    holder: `SELECT ceil(extract(epoch FROM expires_at - now()) * 1000)::bigint AS left_ms FROM ${leases} WHERE run_id = $1`,
    /** $1 run id, $2 owner, $3 ttl ms. */
    renew: `UPDATE ${leases} SET expires_at = ${ttl} WHERE run_id = $1 AND owner = $2`,
    /** $1 run id, $2 owner. */
    release: `DELETE FROM ${leases} WHERE run_id = $1 AND owner = $2`,
    /** $1 statuses to list (null: all), $2 limit. Newest first. */
    list: `SELECT r.run_id, r.kind, r.status, r.created_at, r.updated_at, l.expires_at AS leased_until
FROM ${runs} r LEFT JOIN ${leases} l ON l.run_id = r.run_id AND l.expires_at > now()
WHERE $1::text IS NULL OR ($1 = 'active') = (r.status = 'active')
ORDER BY r.updated_at DESC, r.run_id LIMIT $2`,
    /** $1 age in ms: finished runs not saved for that long, and not leased, are deleted. */
    expire: `DELETE FROM ${runs} r WHERE r.status <> 'active' AND r.updated_at <= now() - $1 * interval '1 millisecond'
AND NOT EXISTS (SELECT 1 FROM ${leases} l WHERE l.run_id = r.run_id AND l.expires_at > now())
RETURNING r.run_id`,
    /** $1 age in ms: lease rows expired that long ago (their owners died) go too. */
    expireLeases: `DELETE FROM ${leases} WHERE expires_at <= now() - $1 * interval '1 millisecond'`,
  };
}
