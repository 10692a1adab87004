/**
 * Fault test: Redis goes away mid-batch. Restarted (the test's server keeps
 * no data, so the queue's jobs are gone), the runner finds on reconnecting
 * that Redis no longer has the jobs it waits on and fails those calls with
 * an error that names Redis; kept down, the calls fail after `redisTimeoutMs`.
 * Either way the batch ends: it never hangs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runToolBatch, ToolBatchError } from '../../../src/index.js';
import { createBullMQRunner, type BullMQRunner } from '../../../src/adapters/bullmq/index.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.js';
import { createScene, gatedCalls, type Scene } from './fixtures.js';
import { stopAll, until } from './processes.js';

let redis: TestRedis;
let scene: Scene | undefined;
let runner: BullMQRunner | undefined;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterEach(async () => {
  await runner?.close();
  await stopAll();
  scene?.dispose();
});
afterAll(async () => {
  await redis.close();
});

/** The batch's failures as `id kind: message`, or what else it settled with. */
async function failuresOf(batch: Promise<unknown>): Promise<string[] | unknown> {
  try {
    return { resolved: await batch };
  } catch (error) {
    return ToolBatchError.isInstance(error) ? error.failures.map((failure) => `${failure.id} ${failure.kind}: ${failure.message}`) : error;
  }
}

describe.skipIf(process.env.REDIS_URL)('Redis restarting mid-batch', () => {
  it('fails the calls whose jobs Redis lost, with an error naming Redis', async () => {
    scene = createScene(redis.url);
    await Promise.all([scene.worker('A'), scene.worker('B')]);
    runner = createBullMQRunner({ connection: redis.url, queueName: scene.queueName });
    const ids = ['r1', 'r2', 'r3', 'r4'];
    const batch = failuresOf(runToolBatch(gatedCalls(ids), { runner, runId: 'restart-1', concurrency: 4, policy: 'joinAll' }));
    await until(() => scene!.log().length === 4);
    await redis.stop();
    await redis.start();
    const lost = (id: string) =>
      `${id} error: Redis at 127.0.0.1:${redis.port} no longer has job restart-1%3A${id} of call ${id} (gated): Redis restarted or dropped its data while the call was queued or running`;
    expect(await batch).toEqual(ids.map(lost));
  });

  it('fails the calls with an error naming Redis when it stays away longer than redisTimeoutMs', async () => {
    scene = createScene(redis.url);
    await scene.worker('A');
    runner = createBullMQRunner({ connection: redis.url, queueName: scene.queueName, redisTimeoutMs: 300 });
    const batch = failuresOf(runToolBatch(gatedCalls(['d1', 'd2']), { runner, concurrency: 2, policy: 'joinAll' }));
    await until(() => scene!.log().length === 2);
    await redis.stop();
    try {
      const failures = (await batch) as string[];
      expect(failures).toHaveLength(2);
      failures.forEach((failure, i) => {
        expect(failure).toMatch(new RegExp(`^d${i + 1} error: Redis at 127\\.0\\.0\\.1:${redis.port} is unreachable \\(no connection for [0-9.]+ s\\)`));
      });
    } finally {
      await redis.start();
    }
  });
});
