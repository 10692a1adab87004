/**
 * Fault test: a worker process is SIGKILLed while it runs a job. BullMQ's
 * stalled-job check (short locks here) gives the job to another worker, the
 * call settles once, and the tool sees the same idempotency key on the re-run.
 */
import { describe, expect, it } from 'vitest';
import { runToolBatch } from '../../../src/index.js';
import { createBullMQRunner } from '../../../src/adapters/bullmq/index.js';
import { gatedCalls, useScenes } from './fixtures.js';
import { until } from './processes.js';

const harness = useScenes();

describe('a worker SIGKILLed mid-job', () => {
  it('has its job recovered by the stalled-job check and finished on another worker, settling the call once with the same idempotency key', async () => {
    const scene = harness.scene();
    const shortLocks = { LOCK_DURATION: '1000', STALLED_INTERVAL: '300' };
    const first = await scene.worker('A', shortLocks);
    const runner = createBullMQRunner({ connection: harness.redis.url, queueName: scene.queueName });
    const settled: string[] = [];
    try {
      const batch = runToolBatch(gatedCalls(['k1']), {
        runner,
        runId: 'kill-1',
        onEvent: (event) => {
          if (event.type === 'call.settled') settled.push(`${event.id} ${event.status}`);
        },
      });
      await until(() => scene.log().length === 1);
      await first.kill('SIGKILL');
      // The second worker starts only now, so the job can reach it only through the stalled-job check.
      await scene.worker('B', shortLocks);
      await until(() => scene.log().length === 2);
      scene.release('k1');
      expect(await batch).toEqual([{ id: 'k1', result: { id: 'k1' } }]);
      expect(settled).toEqual(['k1 succeeded']);
      expect(scene.log().map(({ event, id, key, worker }) => `${event} ${id} ${key} on ${worker}`)).toEqual([
        'start k1 kill-1:k1 on A',
        'start k1 kill-1:k1 on B',
        'end k1 kill-1:k1 on B',
      ]);
    } finally {
      await runner.close();
    }
  });
});
