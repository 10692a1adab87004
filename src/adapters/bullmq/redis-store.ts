/**
 * `createRedisStore`: durable runs' checkpoints in Redis, one JSON string
 * per run under `<prefix>:run:<runId>`, so that any orchestrator process can
 * resume a run another one started. `SET` replaces a value in one step, so a
 * reader sees the previous checkpoint or the new one, never half of one.
 *
 * The run's lease is `<prefix>:lease:<runId>`, holding the owner's token
 * with an expiry: `SET … NX PX` takes it, and a script that compares the
 * token renews or deletes it, so only the owner can.
 */
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { assertLeaseOptions, assertRunId, parseCheckpoint, RunLeaseError, type RunStore } from '../../runtime/run-store.js';
import { assertConnection, createRedisClient, type RedisConnection } from './connection.js';
import { showValue } from '../../core/describe.js';

/** Options of `createRedisStore`. */
export interface RedisStoreOptions {
  /** Keys are `<prefix>:run:<runId>`. Default: `'xstate-parallel-tools'`. */
  prefix?: string;
  /** Checkpoints expire this many seconds after their last save. Default: none (kept until deleted). */
  ttlSeconds?: number;
}

/** Extends the lease only while it is still this owner's. */
const renewScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/** Deletes the lease only while it is still this owner's. */
const releaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

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
 * @returns the store: `load`, `save`, `delete`, `lease`, `close`.
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
      const key = keyOf(prefix, runId);
      const text = await client.get(key);
      return text === null ? undefined : parseCheckpoint(text, runId, `Redis key ${key}`);
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
    async lease(runId, leaseOptions) {
      const ttlMs = assertLeaseOptions(leaseOptions);
      assertRunId(runId);
      const key = `${prefix}:lease:${runId}`;
      const owner = randomUUID();
      if ((await client.set(key, owner, 'PX', ttlMs, 'NX')) !== 'OK') {
        const left = await client.pttl(key);
        throw new RunLeaseError(runId, `Run "${runId}" is held by another owner (Redis key ${key}) for ${left} ms more unless it renews; start it again after that, or with another run id`);
      }
      let released = false;
      return {
        runId,
        owner,
        async renew() {
          if (released || Number(await client.eval(renewScript, 1, key, owner, String(ttlMs))) !== 1) {
            throw new RunLeaseError(runId, `Run "${runId}" was taken over by another owner: this owner's lease expired before it was renewed`);
          }
        },
        async release() {
          if (released) return;
          released = true;
          await client.eval(releaseScript, 1, key, owner);
        },
      };
    },
    async close() {
      if (!owned) return;
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
