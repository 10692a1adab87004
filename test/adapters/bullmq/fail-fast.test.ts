/**
 * Fault test: failFast with 20 jobs running on 2 worker processes. One call
 * fails; the other 19 are cancelled across the wire: each one's signal
 * aborts on its worker within 100 ms of the failure (timestamps written by
 * the workers), each job ends failed as cancelled, and none of the 10 calls
 * still queued in the batch ever becomes a job.
 */
import { Job, Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { runToolBatch, ToolBatchError } from '../../../src/index.js';
import { createBullMQRunner } from '../../../src/adapters/bullmq/index.js';
import { gatedCalls, useScenes } from './fixtures.js';
import { until } from './processes.js';

const harness = useScenes();

describe('failFast with 20 jobs running on 2 workers', () => {
  it('aborts every running job on its worker within 100 ms, ends those jobs as cancelled, and starts no queued call', async () => {
    const scene = harness.scene();
    await Promise.all([scene.worker('A', { CONCURRENCY: '10' }), scene.worker('B', { CONCURRENCY: '10' })]);
    const ids = Array.from({ length: 30 }, (_, i) => `f${i}`);
    const running = ids.slice(0, 20);
    const runner = createBullMQRunner({ connection: harness.redis.url, queueName: scene.queueName });
    const queue = new Queue(scene.queueName, { connection: { url: harness.redis.url } });
    try {
      const batch = runToolBatch(gatedCalls(ids, ['f7']), { runner, runId: 'ff', concurrency: 20, policy: 'failFast' }).catch((error: unknown) => error);
      await until(() => scene.log().length === 20);
      expect(new Set(scene.log().map((entry) => entry.worker))).toEqual(new Set(['A', 'B']));
      scene.release('f7');

      const error = await batch;
      expect(ToolBatchError.isInstance(error)).toBe(true);
      const failures = (error as ToolBatchError).failures.map((failure) => `${failure.id} ${failure.kind}`);
      expect(failures).toEqual(['f7 error', ...running.filter((id) => id !== 'f7').map((id) => `${id} aborted`)]);

      await until(() => scene.log().filter((entry) => entry.event === 'abort').length === 19);
      const log = scene.log();
      const failedAt = log.find((entry) => entry.event === 'fail')!.at;
      const aborts = log.filter((entry) => entry.event === 'abort');
      expect(aborts.map((entry) => entry.id).sort()).toEqual(running.filter((id) => id !== 'f7').sort());
      expect(aborts.every((entry) => entry.reason === 'AbortError')).toBe(true);
      const slowest = Math.max(...aborts.map((entry) => entry.at - failedAt));
      expect(slowest).toBeLessThanOrEqual(100);
      // No call that was queued in the batch started, or was even enqueued.
      expect(log.filter((entry) => entry.event === 'start').map((entry) => entry.id).sort()).toEqual([...running].sort());
      for (const id of ids.slice(20)) expect(await queue.getJobState(encodeURIComponent(`ff:${id}`))).toBe('unknown');

      // Each cancelled job ends failed as cancelled, not run to completion.
      const jobIds = running.filter((id) => id !== 'f7').map((id) => encodeURIComponent(`ff:${id}`));
      await until(async () => (await Promise.all(jobIds.map((jobId) => queue.getJobState(jobId)))).every((state) => state === 'failed'));
      for (const jobId of jobIds) {
        const job = await Job.fromId(queue, jobId);
        expect(JSON.parse(job!.failedReason)).toEqual({ 'xstate-parallel-tools': 1, kind: 'aborted', message: 'The tool call was aborted', cancelled: true });
      }
      expect(log.some((entry) => entry.event === 'end')).toBe(false);
      console.info(`failFast: the slowest of 19 aborts reached its tool ${slowest} ms after the failure`);
    } finally {
      await queue.close();
      await runner.close();
    }
  });
});
