/**
 * Fault test: the orchestrator process is SIGKILLed mid-batch and a second
 * one runs the same batch under the same runId. The runner reattaches: calls
 * whose jobs finished (before the kill, or while no orchestrator ran) are
 * collected, running jobs are waited on, the rest are enqueued; no job runs
 * or is enqueued twice: first with the runner alone, then with the run's
 * checkpoints in the Redis store, where the settled calls are not even
 * looked for again.
 */
import { describe, expect, it } from 'vitest';
import { gatedCalls, queueEvents, useScenes } from './fixtures.js';
import { until } from './processes.js';

const harness = useScenes();

describe('the orchestrator SIGKILLed mid-batch', () => {
  it('is restarted with the same runId and finishes with every output; no job runs or is enqueued twice', async () => {
    const scene = harness.scene();
    await Promise.all([scene.worker('A'), scene.worker('B')]);
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const calls = gatedCalls(ids);
    const starts = () => scene.log().filter((entry) => entry.event === 'start').map((entry) => entry.id);

    const first = scene.orchestrator(calls, 'run-o', 3);
    await until(() => starts().length === 3);
    scene.release('c1');
    // c1 settled in the first orchestrator, which admitted c4 in its place.
    await until(() => starts().includes('c4'));
    await first.kill('SIGKILL');
    // c2 finishes while no orchestrator runs.
    scene.release('c2');
    await until(() => scene.log().some((entry) => entry.event === 'end' && entry.id === 'c2'));

    const second = scene.orchestrator(calls, 'run-o', 3);
    // It collects c1 and c2, reattaches to the running c3, and admits c4 (running too) and c5.
    await second.line((line) => line === '{"started":"c5"}');
    scene.release('c3', 'c4', 'c5', 'c6');
    const outcome = JSON.parse(await second.line((line) => line.startsWith('{"outputs"') || line.startsWith('{"error"'))) as unknown;
    expect(outcome).toEqual({ outputs: ids.map((id) => ({ id, result: { id } })) });

    const log = scene.log();
    for (const event of ['start', 'end'] as const) {
      expect(log.filter((entry) => entry.event === event).map((entry) => entry.id).sort()).toEqual(ids);
    }
    expect(log.every((entry) => entry.key === `run-o:${entry.id}`)).toBe(true);
    const events = await queueEvents(harness.redis.url, scene.queueName, ['added', 'duplicated']);
    expect(events.filter((event) => event.startsWith('added')).sort()).toEqual(ids.map((id) => `added run-o:${id}`));
    expect(events.filter((event) => event.startsWith('duplicated')).sort()).toEqual(['c1', 'c2', 'c3', 'c4'].map((id) => `duplicated run-o:${id}`));
  });

  it('resumes from its checkpoint in the Redis store: settled calls are kept, running ones reattached, none runs or is enqueued twice', async () => {
    const scene = harness.scene();
    await Promise.all([scene.worker('A'), scene.worker('B')]);
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const calls = gatedCalls(ids);
    const starts = () => scene.log().filter((entry) => entry.event === 'start').map((entry) => entry.id);

    const first = scene.orchestrator(calls, 'run-s', 3, 'redis');
    await until(() => starts().length === 3);
    scene.release('c1');
    await until(() => starts().includes('c4'));
    await first.kill('SIGKILL');
    scene.release('c2');
    await until(() => scene.log().some((entry) => entry.event === 'end' && entry.id === 'c2'));

    const second = scene.orchestrator(calls, 'run-s', 3, 'redis');
    // The killed owner's lease holds the run until it expires (1 s): a restart before then waits it out.
    await second.line((line) => line === '{"started":"c5"}');
    scene.release('c3', 'c4', 'c5', 'c6');
    const outcome = JSON.parse(await second.line((line) => line.startsWith('{"outputs"') || line.startsWith('{"error"'))) as unknown;
    expect(outcome).toEqual({ outputs: ids.map((id) => ({ id, result: { id } })) });

    const log = scene.log();
    for (const event of ['start', 'end'] as const) {
      expect(log.filter((entry) => entry.event === event).map((entry) => entry.id).sort()).toEqual(ids);
    }
    const events = await queueEvents(harness.redis.url, scene.queueName, ['added', 'duplicated']);
    expect(events.filter((event) => event.startsWith('added')).sort()).toEqual(ids.map((id) => `added run-s:${id}`));
    // c1 settled before the kill: the checkpoint has its output, so its job is not even looked for.
    expect(events.filter((event) => event.startsWith('duplicated')).sort()).toEqual(['c2', 'c3', 'c4'].map((id) => `duplicated run-s:${id}`));
  });
});
