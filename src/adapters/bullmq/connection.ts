/**
 * Where Redis is, said once for BullMQ and for the adapter's own clients
 * (the cancel channel, the health watch, the run store): a `redis://` URL or
 * ioredis options.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { showValue } from '../../core/describe.js';

/**
 * A Redis server: a URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS)
 * or ioredis options (`{ host, port, password, db, tls, … }`).
 */
export type RedisConnection = string | RedisOptions;

/**
 * Checks a connection option up front.
 *
 * @param connection - what the caller passed.
 * @param field - the option's name, for the message.
 * @throws `TypeError` that shows the value.
 * @example
 * ```ts
 * assertConnection('redis://127.0.0.1:6379');
 * ```
 */
export function assertConnection(connection: unknown, field = 'connection'): asserts connection is RedisConnection {
  if (typeof connection === 'string') {
    if (/^rediss?:\/\//.test(connection)) return;
  } else if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
    return;
  }
  throw new TypeError(`Expected \`${field}\` to be a redis:// URL or ioredis options ({ host, port, … }), got ${showValue(connection)}`);
}

/**
 * The same server as BullMQ takes it; BullMQ makes its own connections from it.
 *
 * @param connection - a URL or ioredis options.
 * @returns BullMQ's `connection` option.
 * @example
 * ```ts
 * new Queue('tools', { connection: bullmqConnection('redis://127.0.0.1:6379') });
 * ```
 */
export function bullmqConnection(connection: RedisConnection): ConnectionOptions {
  // ioredis's options are what BullMQ hands to ioredis; only the declared types differ (ioredis allows `retryStrategy: null`).
  return typeof connection === 'string' ? { url: connection } : ({ ...connection } as ConnectionOptions);
}

/**
 * A new ioredis client for the adapter's own use. It retries every 100 ms to
 * 1 s while Redis is away, so that a restarted server is found again quickly.
 *
 * @param connection - a URL or ioredis options.
 * @param extra - more ioredis options.
 * @returns the client, connecting.
 * @example
 * ```ts
 * const client = createRedisClient('redis://127.0.0.1:6379');
 * ```
 */
export function createRedisClient(connection: RedisConnection, extra: RedisOptions = {}): Redis {
  const retryStrategy = (times: number): number => Math.min(times * 100, 1_000);
  if (typeof connection === 'string') return new Redis(connection, { retryStrategy, ...extra });
  return new Redis({ retryStrategy, ...connection, ...extra });
}

/**
 * Where Redis is, for error messages (never the password).
 *
 * @param connection - a URL or ioredis options.
 * @returns such as `127.0.0.1:6379`.
 * @example
 * ```ts
 * describeConnection('redis://:secret@10.0.0.5:6380'); // '10.0.0.5:6380'
 * ```
 */
export function describeConnection(connection: RedisConnection): string {
  if (typeof connection === 'string') {
    try {
      const url = new URL(connection);
      return `${url.hostname || '127.0.0.1'}:${url.port || '6379'}`;
    } catch {
      return 'the configured address';
    }
  }
  if (typeof connection.path === 'string') return connection.path;
  return `${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}
