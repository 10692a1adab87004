/**
 * The Redis store (`createRedisStore`) against the store contract that the
 * file and Postgres stores pass too (test/helpers/store-contract.ts), on a
 * redis-server of the test's own; then what only the Redis store does.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/adapters/bullmq/index.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.js';
import { runStoreContract } from '../../helpers/store-contract.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.close();
});

runStoreContract('createRedisStore', async () => {
  const prefix = `store-${randomUUID().slice(0, 8)}`;
  const client = new Redis(redis.url);
  const store = createRedisStore(redis.url, { prefix });
  const second = createRedisStore(redis.url, { prefix });
  return {
    store,
    second,
    writeRaw: async (runId, text) => void (await client.set(`${prefix}:run:${runId}`, text)),
    readRaw: async (runId) => (await client.get(`${prefix}:run:${runId}`)) ?? undefined,
    location: (runId) => `Redis key ${prefix}:run:${runId}`,
    close: async () => {
      await Promise.all([store.close(), second.close()]);
      client.disconnect();
    },
  };
});

describe('createRedisStore', () => {
  it('keeps runs of different prefixes apart and shares a client it was given', async () => {
    const client = new Redis(redis.url);
    const one = createRedisStore(client, { prefix: 'one' });
    const two = createRedisStore(client, { prefix: 'two' });
    await one.save('r', { version: 1, kind: 'batch', snapshot: {} });
    expect(await two.load('r')).toBeUndefined();
    await one.close();
    expect(await client.get('one:run:r')).toBe('{"version":1,"kind":"batch","snapshot":{}}');
    client.disconnect();
  });

  it('lets a checkpoint expire ttlSeconds after its last save', async () => {
    const client = new Redis(redis.url);
    const store = createRedisStore(client, { prefix: 'ttl', ttlSeconds: 60 });
    await store.save('r', { version: 1, kind: 'batch', snapshot: {} });
    expect(await client.ttl('ttl:run:r')).toBe(60);
    client.disconnect();
  });
});
