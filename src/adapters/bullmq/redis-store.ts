/**
 * `createRedisStore`: durable runs' checkpoints in Redis, one JSON string
 * per run under `<prefix>:run:<runId>`, so that any orchestrator process can
 * resume a run another one started. `SET` replaces a value in one step, so a
 * reader sees the previous checkpoint or the new one, never half of one.
 */
import type { Redis } from 'ioredis';
import type { RunCheckpoint, RunStore } from '../../index.js';
import { assertRunId } from '../../runtime/run-store.js';
import { assertConnection, createRedisClient, type RedisConnection } from './connection.js';
import { showValue } from '../../core/describe.js';

/** Options of `createRedisStore`. */
export interface RedisStoreOptions {
  /** Keys are `<prefix>:run:<runId>`. Default: `'xstate-parallel-tools'`. */
  prefix?: string;
  /** Checkpoints expire this many seconds after their last save. Default: none (kept until deleted). */
  ttlSeconds?: number;
}

/** A `RunStore` in Redis; `close()` closes the connection it opened (not one you passed). */
export interface RedisRunStore extends RunStore {
  close(): Promise<void>;
}

/** The durable runs' own check: a run id is safe as a file name, a Redis key and a job id. */
function keyOf(prefix: string, runId: unknown): string {
  assertRunId(runId);
  return `${prefix}:run:${runId}`;
}

/** An ioredis client, told apart by shape: `instanceof` fails across two copies of ioredis. */
function isClient(value: unknown): value is Redis {
  const client = value as Partial<Redis> | null;
  return typeof client === 'object' && client !== null && typeof client.get === 'function' && typeof client.set === 'function' && typeof client.del === 'function';
}

/**
 * Creates a run store in Redis.
 *
 * @param connection - a `redis://` URL, ioredis options, or an ioredis client to share.
 * @param options - `prefix` (default `'xstate-parallel-tools'`), `ttlSeconds` (default none).
 * @returns the store: `load`, `save`, `delete`, `close`.
 * @example
 * ```ts
 * const store = createRedisStore('redis://127.0.0.1:6379');
 * await store.save('run-1', { version: 1, kind: 'batch', snapshot });
 * const checkpoint = await store.load('run-1');
 * await store.close();
 * ```
 */
export function createRedisStore(connection: RedisConnection | Redis, options: RedisStoreOptions = {}): RedisRunStore {
  const { prefix = 'xstate-parallel-tools', ttlSeconds } = options;
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError(`Expected \`prefix\` to be a non-empty string, got ${showValue(prefix)}`);
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 1)) {
    throw new TypeError(`Expected \`ttlSeconds\` to be an integer from 1 up, got ${showValue(ttlSeconds)}`);
  }
  const given = isClient(connection) ? connection : undefined;
  if (given === undefined) assertConnection(connection);
  const owned = given === undefined;
  const client = given ?? createRedisClient(connection as RedisConnection);
  return {
    async load(runId) {
      const text = await client.get(keyOf(prefix, runId));
      return text === null ? undefined : (JSON.parse(text) as RunCheckpoint);
    },
    async save(runId, checkpoint) {
      const key = keyOf(prefix, runId);
      const text = JSON.stringify(checkpoint);
      if (ttlSeconds === undefined) await client.set(key, text);
      else await client.set(key, text, 'EX', ttlSeconds);
    },
    async delete(runId) {
      await client.del(keyOf(prefix, runId));
    },
    async close() {
      if (!owned) return;
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
