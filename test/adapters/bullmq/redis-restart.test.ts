/**
 * Fault test: Redis goes away mid-batch. Restarted (the test's server keeps
 * no data, so the queue's jobs are gone), the runner finds on reconnecting
 * that Redis no longer has the jobs it waits on and fails those calls with
 * an error that names Redis; kept down, the calls fail after `redisTimeoutMs`.
 * Either way the batch ends: it never hangs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runToolBatch, ToolBatchError } from '../../../src/index.js';
import { createBullMQRunner, type BullMQRunner } from '../../../src/adapters/bullmq/index.js';
import { gatedCalls, useScenes } from './fixtures.js';
import { until } from './processes.js';

const harness = useScenes();
let runner: BullMQRunner | undefined;
// Registered after the harness, so it runs first: the runner closes before the processes stop.
afterEach(async () => {
  await runner?.close();
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
    const scene = harness.scene();
    await Promise.all([scene.worker('A'), scene.worker('B')]);
    runner = createBullMQRunner({ connection: harness.redis.url, queueName: scene.queueName });
    const ids = ['r1', 'r2', 'r3', 'r4'];
    const batch = failuresOf(runToolBatch(gatedCalls(ids), { runner, runId: 'restart-1', concurrency: 4, policy: 'joinAll' }));
    await until(() => scene.log().length === 4);
    await harness.redis.stop();
    await harness.redis.start();
    const lost = (id: string) =>
      `${id} error: Redis at 127.0.0.1:${harness.redis.port} no longer has job restart-1%3A${id} of call ${id} (gated): Redis restarted or dropped its data while the call was queued or running`;
    expect(await batch).toEqual(ids.map(lost));
  });

  it('fails the calls with an error naming Redis when it stays away longer than redisTimeoutMs', async () => {
    const scene = harness.scene();
    await scene.worker('A');
    runner = createBullMQRunner({ connection: harness.redis.url, queueName: scene.queueName, redisTimeoutMs: 300 });
    const batch = failuresOf(runToolBatch(gatedCalls(['d1', 'd2']), { runner, concurrency: 2, policy: 'joinAll' }));
    await until(() => scene.log().length === 2);
    await harness.redis.stop();
    try {
      const failures = (await batch) as string[];
      expect(failures).toHaveLength(2);
      failures.forEach((failure, i) => {
        expect(failure).toMatch(new RegExp(`^d${i + 1} error: Redis at 127\\.0\\.0\\.1:${harness.redis.port} is unreachable \\(no connection for [0-9.]+ s\\)`));
      });
    } finally {
      await harness.redis.start();
    }
  });
});
