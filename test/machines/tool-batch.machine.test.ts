import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, toPromise } from 'xstate';
import { toolBatchMachine, unlimitedRunningCalls, type ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { createToolRouter } from '../../src/runtime/tools.js';
import { ToolBatchError } from '../../src/core/errors.js';
import { callsFor, controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

function startBatch(
  tools: Parameters<typeof createToolRouter>[0],
  calls: ReturnType<typeof callsFor>,
  options: Parameters<typeof runToolBatch>[1] extends infer _ ? Record<string, unknown> : never,
  clock = new SimulatedClock(),
) {
  const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter(tools).runTool } });
  const actor = createActor(machine, { input: { calls, options }, clock });
  const events: ToolBatchEmitted[] = [];
  actor.on('*', (event) => events.push(event));
  actor.start();
  return { actor, events, clock, done: toPromise(actor) };
}

describe('toolBatchMachine', () => {
  it('preserves input order when later calls finish first', async () => {
    const ctl = controlledTool();
    const batch = runToolBatch(callsFor('ctl', 2), { tools: [ctl.tool], concurrency: 2 });
    await flush();
    ctl.resolve('c1', 'fast');
    await flush();
    ctl.resolve('c0', 'slow');
    expect(await batch).toEqual([
      { id: 'c0', result: 'slow' },
      { id: 'c1', result: 'fast' },
    ]);
  });

  it('preserves input order with reversed latencies over many calls', async () => {
    const ctl = controlledTool();
    const calls = callsFor('ctl', 10);
    const batch = runToolBatch(calls, { tools: [ctl.tool], concurrency: 10 });
    await flush();
    for (let i = 9; i >= 0; i--) {
      ctl.resolve(`c${i}`, i * 10);
      await flush();
    }
    expect(await batch).toEqual(calls.map((call, i) => ({ id: call.id, result: i * 10 })));
  });

  it('under concurrency Infinity starts every call of a 200-call batch at once', async () => {
    const ctl = controlledTool();
    const calls = callsFor('ctl', 200);
    const batch = runToolBatch(calls, { tools: [ctl.tool] });
    await flush();
    expect(ctl.pending.size).toBe(200);
    calls.forEach((call) => ctl.resolve(call.id));
    expect(await batch).toHaveLength(200);
  });

  it('under concurrency Infinity runs at most unlimitedRunningCalls (256) at once, and refills as calls settle', async () => {
    expect(unlimitedRunningCalls).toBe(256);
    const ctl = controlledTool();
    const calls = callsFor('ctl', 300);
    const batch = runToolBatch(calls, { tools: [ctl.tool] });
    await flush();
    expect([ctl.pending.size, ctl.started.at(-1)]).toEqual([256, 'c255']);
    ctl.resolve('c7');
    await flush();
    expect([ctl.pending.size, ctl.started.at(-1)]).toEqual([256, 'c256']);
    for (let i = 0; i < 300; i++) {
      if (i === 7) continue;
      ctl.resolve(`c${i}`);
      await flush();
    }
    expect(await batch).toHaveLength(300);
    expect(ctl.peak).toBe(256);
  });

  it('lists joinAll failures by index even when a later call fails first', async () => {
    const ctl = controlledTool();
    const rejection = runToolBatch(callsFor('ctl', 2), { tools: [ctl.tool], policy: 'joinAll' }).catch((error: unknown) => error);
    await flush();
    ctl.reject('c1', new Error('one'));
    await flush();
    ctl.reject('c0', new Error('zero'));
    const error = (await rejection) as ToolBatchError;
    expect(ToolBatchError.isInstance(error)).toBe(true);
    expect(error.failures.map((f) => f.index)).toEqual([0, 1]);
    expect(error.message).toBe('Tool batch failed under joinAll: call 0 (ctl, id c0) failed with error: zero (and 1 more)');
  });

  it('reaches a peak of exactly N running calls: 8 calls with N=2', async () => {
    const ctl = controlledTool();
    const batch = runToolBatch(callsFor('ctl', 8), { tools: [ctl.tool], concurrency: 2 });
    await flush();
    expect(ctl.pending.size).toBe(2);
    for (let i = 0; i < 8; i++) {
      ctl.resolve(`c${i}`);
      await flush();
    }
    await batch;
    expect(ctl.peak).toBe(2);
  });

  it('admits in index order: N=3 on 7 calls starts 0..6 whatever order they finish in', async () => {
    const ctl = controlledTool();
    const batch = runToolBatch(callsFor('ctl', 7), { tools: [ctl.tool], concurrency: 3 });
    await flush();
    expect(ctl.started).toEqual(['c0', 'c1', 'c2']);
    for (const id of ['c2', 'c0', 'c4', 'c1', 'c3', 'c6', 'c5']) {
      ctl.resolve(id);
      await flush();
    }
    await batch;
    expect(ctl.started).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect(ctl.peak).toBe(3);
  });

  it('refills a freed slot in the same step as the completion', async () => {
    const ctl = controlledTool();
    const { events, done } = startBatch([ctl.tool], callsFor('ctl', 4), { concurrency: 2 });
    await flush();
    ctl.resolve('c1');
    await flush();
    ctl.resolve('c0');
    await flush();
    ctl.resolve('c2');
    ctl.resolve('c3');
    await done;
    const order = events.map((e) => ('index' in e ? `${e.type}:${e.index}` : e.type));
    expect(order).toEqual([
      'call.started:0',
      'call.started:1',
      'call.settled:1',
      'call.started:2',
      'call.settled:0',
      'call.started:3',
      'call.settled:2',
      'call.settled:3',
      'batch.settled',
    ]);
  });

  describe('failFast', () => {
    it('surfaces the first failure, starts no queued call, and aborts running calls', async () => {
      const ctl = controlledTool();
      const batch = runToolBatch(callsFor('ctl', 6), { tools: [ctl.tool], concurrency: 3, policy: 'failFast' });
      const rejection = batch.catch((error: unknown) => error);
      await flush();
      ctl.resolve('c0', 'zero');
      await flush();
      expect(ctl.started).toEqual(['c0', 'c1', 'c2', 'c3']);
      const running = ['c1', 'c3'].map((id) => ctl.pending.get(id)!);
      ctl.reject('c2', new Error('boom'));
      const error = await rejection;
      expect(ToolBatchError.isInstance(error)).toBe(true);
      const batchError = error as ToolBatchError;
      expect(batchError.policy).toBe('failFast');
      expect(batchError.failures.map((f) => [f.index, f.kind, f.message])).toEqual([
        [2, 'error', 'boom'],
        [1, 'aborted', 'aborted before it settled: the batch ended'],
        [3, 'aborted', 'aborted before it settled: the batch ended'],
      ]);
      expect(batchError.cause).toBe(batchError.failures[0]);
      expect(batchError.outputs).toEqual([{ id: 'c0', result: 'zero' }, undefined, undefined, undefined, undefined, undefined]);
      expect(running.map((call) => call.signal.aborted)).toEqual([true, true]);
      expect((running[0]!.signal.reason as DOMException).name).toBe('AbortError');
      await flush();
      expect(ctl.started).toEqual(['c0', 'c1', 'c2', 'c3']);
    });

    it('ignores results and rejections that arrive after the batch failed', async () => {
      const ctl = controlledTool();
      const { done, actor } = startBatch([ctl.tool], callsFor('ctl', 3), { policy: 'failFast' });
      await flush();
      const late = [ctl.pending.get('c1')!, ctl.pending.get('c2')!];
      ctl.reject('c0', new Error('first'));
      const output = await done;
      late[0]!.resolve('late');
      late[1]!.reject(new Error('late rejection'));
      await flush();
      await flush();
      expect(actor.getSnapshot().output).toBe(output);
      expect(output.status).toBe('failed');
    });
  });

  describe('joinAll', () => {
    it('runs every call, then fails listing every failure by index and keeping every success', async () => {
      const ctl = controlledTool();
      const batch = runToolBatch(callsFor('ctl', 5), { tools: [ctl.tool], concurrency: 2, policy: 'joinAll' });
      const rejection = batch.catch((error: unknown) => error);
      await flush();
      ctl.reject('c1', new Error('one'));
      await flush();
      ctl.resolve('c0', 0);
      await flush();
      ctl.reject('c3', 'three');
      await flush();
      ctl.resolve('c2', 2);
      await flush();
      ctl.resolve('c4', 4);
      const error = (await rejection) as ToolBatchError;
      expect(error.failures.map((f) => [f.index, f.kind, f.message])).toEqual([
        [1, 'error', 'one'],
        [3, 'error', 'the tool threw a non-Error value: "three"'],
      ]);
      expect(error.outputs).toEqual([{ id: 'c0', result: 0 }, undefined, { id: 'c2', result: 2 }, undefined, { id: 'c4', result: 4 }]);
      expect(ctl.started).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    });

    it('resolves with every output when nothing failed', async () => {
      const ctl = controlledTool();
      const batch = runToolBatch(callsFor('ctl', 2), { tools: [ctl.tool], policy: 'joinAll' });
      await flush();
      ctl.resolve('c1', 1);
      ctl.resolve('c0', 0);
      expect(await batch).toEqual([
        { id: 'c0', result: 0 },
        { id: 'c1', result: 1 },
      ]);
    });
  });

  describe('settleAll', () => {
    it('settles every call as ok or error and always succeeds', async () => {
      const ctl = controlledTool();
      const batch = runToolBatch(callsFor('ctl', 3), { tools: [ctl.tool], concurrency: 1, policy: 'settleAll' });
      await flush();
      ctl.reject('c0', new TypeError('bad'));
      await flush();
      ctl.resolve('c1', { fine: true });
      await flush();
      ctl.reject('c2', undefined);
      const results = await batch;
      expect(results.map((r) => (r.ok ? ['ok', r.output] : ['error', r.failure.index, r.failure.kind, r.failure.message]))).toEqual([
        ['error', 0, 'error', 'bad'],
        ['ok', { id: 'c1', result: { fine: true } }],
        ['error', 2, 'error', 'the tool threw a non-Error value: undefined'],
      ]);
    });
  });

  describe('cancel', () => {
    it('batch.cancel aborts running calls, never starts queued ones, and ends cancelled', async () => {
      const ctl = controlledTool();
      const { actor, done, events } = startBatch([ctl.tool], callsFor('ctl', 5), { concurrency: 2 });
      await flush();
      ctl.resolve('c0', 'kept');
      await flush();
      const running = [...ctl.pending.values()];
      actor.send({ type: 'batch.cancel' });
      const output = await done;
      expect(output).toEqual({ status: 'cancelled', outputs: [{ id: 'c0', result: 'kept' }, undefined, undefined, undefined, undefined] });
      expect(running.map((call) => [call.id, call.signal.aborted])).toEqual([
        ['c1', true],
        ['c2', true],
      ]);
      await flush();
      expect(ctl.started).toEqual(['c0', 'c1', 'c2']);
      expect(events.at(-1)).toEqual({ type: 'batch.settled', status: 'cancelled', at: 0 });
      expect(actor.getSnapshot().children).toEqual({});
    });

  });

  describe('perToolConcurrency', () => {
    it('limits one tool while admission stays FIFO for the others', async () => {
      const a = controlledTool('a');
      const b = controlledTool('b');
      const calls = [
        { id: 'a0', name: 'a', arguments: {} },
        { id: 'a1', name: 'a', arguments: {} },
        { id: 'b2', name: 'b', arguments: {} },
        { id: 'a3', name: 'a', arguments: {} },
        { id: 'b4', name: 'b', arguments: {} },
      ];
      const { events, done } = startBatch([a.tool, b.tool], calls, { concurrency: 3, perToolConcurrency: { a: 1 } });
      const startedOrder = () => events.filter((e) => e.type === 'call.started').map((e) => (e as { index: number }).index);
      await flush();
      expect(startedOrder()).toEqual([0, 2, 4]);
      a.resolve('a0');
      await flush();
      expect(startedOrder()).toEqual([0, 2, 4, 1]);
      b.resolve('b2');
      await flush();
      expect(startedOrder()).toEqual([0, 2, 4, 1]);
      a.resolve('a1');
      await flush();
      expect(startedOrder()).toEqual([0, 2, 4, 1, 3]);
      a.resolve('a3');
      b.resolve('b4');
      const output = await done;
      expect(output.status).toBe('succeeded');
      expect(a.peak).toBe(1);
      expect(b.peak).toBe(2);
    });
  });

  describe('emitted events', () => {
    it('stamps events with the clock and reports failures on call.settled', async () => {
      const ctl = controlledTool();
      const clock = new SimulatedClock();
      const { events, done } = startBatch([ctl.tool], callsFor('ctl', 2), { concurrency: 1, policy: 'joinAll' }, clock);
      await flush();
      clock.increment(5);
      ctl.reject('c0', new Error('x'));
      await flush();
      clock.increment(7);
      ctl.resolve('c1', 1);
      await done;
      expect(events.map((e) => ({ ...e, ...('failure' in e ? { failure: e.failure?.kind } : {}) }))).toEqual([
        { type: 'call.started', index: 0, id: 'c0', name: 'ctl', lane: 0, at: 0 },
        { type: 'call.settled', index: 0, id: 'c0', name: 'ctl', status: 'failed', at: 5, failure: 'error' },
        { type: 'call.started', index: 1, id: 'c1', name: 'ctl', lane: 0, at: 5 },
        { type: 'call.settled', index: 1, id: 'c1', name: 'ctl', status: 'succeeded', at: 12 },
        { type: 'batch.settled', status: 'failed', at: 12 },
      ]);
    });

    it('announces a failFast failure, then the calls it aborted in lane order, then the batch', async () => {
      const ctl = controlledTool();
      const { events, done } = startBatch([ctl.tool], callsFor('ctl', 4), { concurrency: 3, policy: 'failFast' });
      await flush();
      ctl.reject('c1', new Error('boom'));
      await done;
      expect(events.map((e) => [e.type, 'id' in e ? e.id : '', 'lane' in e ? e.lane : 'status' in e ? e.status : ''])).toEqual([
        ['call.started', 'c0', 0],
        ['call.started', 'c1', 1],
        ['call.started', 'c2', 2],
        ['call.settled', 'c1', 'failed'],
        ['call.settled', 'c0', 'aborted'],
        ['call.settled', 'c2', 'aborted'],
        ['batch.settled', '', 'failed'],
      ]);
    });

    it('announces the calls a cancel aborted, and no call.started for the queued ones', async () => {
      const ctl = controlledTool();
      const { actor, events, done } = startBatch([ctl.tool], callsFor('ctl', 4), { concurrency: 2 });
      await flush();
      ctl.resolve('c1', 'one');
      await flush();
      actor.send({ type: 'batch.cancel' });
      await done;
      expect(events.map((e) => [e.type, 'id' in e ? e.id : '', 'lane' in e ? e.lane : 'status' in e ? e.status : ''])).toEqual([
        ['call.started', 'c0', 0],
        ['call.started', 'c1', 1],
        ['call.settled', 'c1', 'succeeded'],
        ['call.started', 'c2', 1],
        ['call.settled', 'c0', 'aborted'],
        ['call.settled', 'c2', 'aborted'],
        ['batch.settled', '', 'cancelled'],
      ]);
    });

    it('reaches listeners attached before start() with the first admissions, and an empty batch with batch.settled', async () => {
      const empty = startBatch([], [], {});
      await empty.done;
      expect(empty.events).toEqual([{ type: 'batch.settled', status: 'succeeded', at: 0 }]);
      const ctl = controlledTool();
      const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([ctl.tool]).runTool } });
      const actor = createActor(machine, { input: { calls: callsFor('ctl', 3), options: { concurrency: 2 } }, clock: new SimulatedClock() });
      const started: string[] = [];
      actor.on('call.started', (event) => started.push(`${event.id}@${event.lane}`));
      actor.start();
      expect(started).toEqual(['c0@0', 'c1@1']);
      ctl.resolve('c0');
      await flush();
      expect(started).toEqual(['c0@0', 'c1@1', 'c2@0']);
    });
  });
});

describe('a provided runTool that ends without reporting', () => {
  const contract =
    'without reporting to the batch: a `runTool` actor must send `call.succeeded` { index, output } or `call.failed` { index, failure } to its parent (createToolCallLogic does)';
  const calls = [
    { id: 'a', name: 't', arguments: {} },
    { id: 'b', name: 't', arguments: {} },
  ];

  it('fails each call whose actor finished, naming the contract, and goes on to the next', async () => {
    const machine = toolBatchMachine.provide({ actors: { runTool: fromPromise(async () => 'ignored') as never } });
    const actor = createActor(machine, { input: { calls, options: { policy: 'settleAll', concurrency: 1 } } });
    actor.start();
    const failure = (index: number) => ({ ok: false, failure: { index, id: calls[index]!.id, name: 't', kind: 'error', message: `its invocation actor finished ${contract}`, error: undefined } });
    expect(await toPromise(actor)).toEqual({ status: 'succeeded', results: [failure(0), failure(1)] });
  });

  it('fails a call whose actor threw with what it threw, under each policy as any failure', async () => {
    const thrown = new Error('nope');
    const machine = toolBatchMachine.provide({ actors: { runTool: fromPromise(() => Promise.reject(thrown)) as never } });
    const actor = createActor(machine, { input: { calls: calls.slice(0, 1), options: { policy: 'joinAll' } } });
    actor.start();
    const output = await toPromise(actor);
    expect(output).toEqual({
      status: 'failed',
      policy: 'joinAll',
      failures: [{ index: 0, id: 'a', name: 't', kind: 'error', message: `its invocation actor failed (nope) ${contract}`, error: thrown }],
      outputs: [undefined],
    });
    expect(actor.getSnapshot().status).toBe('done');
  });
});
