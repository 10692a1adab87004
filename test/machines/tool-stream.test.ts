/**
 * Streaming tools: an async generator's yields become `call.partial` events,
 * its return value (or last yield) is the result, and abort, timeout, cancel
 * and failFast call its `return()`, so its `finally` runs. Time is a
 * `SimulatedClock`; the tool is the testing kit's controlled tool in its
 * `stream` form.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, toPromise } from 'xstate';
import { z } from 'zod';
import { toolBatchMachine, type ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { createToolCallLogic } from '../../machines/tool-call.machine.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { createToolRouter, defineTool } from '../../src/runtime/tools.js';
import { createControlledTool } from '../../src/testing/controlled-tool.js';
import { ToolBatchError } from '../../src/core/errors.js';
import type { ToolFailure } from '../../src/core/schemas.js';
import { flush } from '../helpers/controlled-tool.js';
import { runAgent } from '../../src/runtime/agent.js';
import { createScriptedModel } from '../../src/models/scripted-model.js';
import { askFor, say, toolCall, user } from '../helpers/chat.js';

const calls = [
  { id: 'a', name: 'ctl', arguments: 1 },
  { id: 'b', name: 'ctl', arguments: 2 },
];

/** The emitted events without their failure's `error`, as short as tests compare them. */
function brief(event: ToolBatchEmitted): unknown {
  if (event.type === 'call.settled') return { type: event.type, id: event.id, status: event.status, at: event.at, ...(event.failure ? { kind: event.failure.kind } : {}) };
  if (event.type === 'call.partial') return { type: event.type, index: event.index, id: event.id, name: event.name, value: event.value, at: event.at };
  if (event.type === 'call.started') return { type: event.type, id: event.id, at: event.at };
  return { type: event.type, at: (event as { at: number }).at };
}

describe('streaming tools', () => {
  it('emits each yield as call.partial in order, with exact times, and settles with the return value', async () => {
    const clock = new SimulatedClock();
    const ctl = createControlledTool({ stream: true });
    const events: ToolBatchEmitted[] = [];
    const batch = runToolBatch(calls, { tools: [ctl.tool], clock, onEvent: (event) => events.push(event) });
    await flush();
    clock.increment(10);
    ctl.partial('a', { step: 1 });
    await flush();
    clock.increment(5);
    ctl.partial('b', 'b1');
    ctl.partial('a', { step: 2 });
    await flush();
    clock.increment(20);
    ctl.resolve('a', { done: true });
    await flush();
    clock.increment(1);
    ctl.resolve('b', 'b-final');
    expect(await batch).toEqual([
      { id: 'a', result: { done: true } },
      { id: 'b', result: 'b-final' },
    ]);
    expect(events.map(brief)).toEqual([
      { type: 'call.started', id: 'a', at: 0 },
      { type: 'call.started', id: 'b', at: 0 },
      { type: 'call.partial', index: 0, id: 'a', name: 'ctl', value: { step: 1 }, at: 10 },
      { type: 'call.partial', index: 1, id: 'b', name: 'ctl', value: 'b1', at: 15 },
      { type: 'call.partial', index: 0, id: 'a', name: 'ctl', value: { step: 2 }, at: 15 },
      { type: 'call.settled', id: 'a', status: 'succeeded', at: 35 },
      { type: 'call.settled', id: 'b', status: 'succeeded', at: 36 },
      { type: 'batch.settled', at: 36 },
    ]);
    expect(ctl.closed).toEqual(['a', 'b']);
  });

  it('settles with the last yield when the generator returns nothing, as the AI SDK reads a stream', async () => {
    const countdown = defineTool({
      name: 'countdown',
      description: 'counts down',
      parameters: z.object({ from: z.number() }),
      async *execute({ from }) {
        for (let n = from; n >= 0; n--) yield n;
      },
    });
    const silent = defineTool({
      name: 'silent',
      description: 'yields nothing, returns nothing',
      parameters: z.object({}),
      async *execute() {},
    });
    const partials: unknown[] = [];
    const results = await runToolBatch(
      [
        { id: 'c', name: 'countdown', arguments: { from: 2 } },
        { id: 's', name: 'silent', arguments: {} },
      ],
      { tools: [countdown, silent], policy: 'settleAll', onEvent: (event) => event.type === 'call.partial' && partials.push(event.value) },
    );
    expect(partials).toEqual([2, 1, 0]);
    expect(results[0]).toEqual({ ok: true, output: { id: 'c', result: 0 } });
    expect(results[1]!.ok === false && [results[1]!.failure.kind, results[1]!.failure.message]).toEqual(['invalidResult', "the tool's result is not JSON: $ is undefined"]);
  });

  it('fails the call with invalidResult at the path of a partial that is not JSON, and returns the generator', async () => {
    const ctl = createControlledTool({ stream: true });
    const events: ToolBatchEmitted[] = [];
    const batch = runToolBatch(calls.slice(0, 1), { tools: [ctl.tool], onEvent: (event) => events.push(event) });
    await flush();
    ctl.partial('a', { ok: 1 });
    await flush();
    ctl.partial('a', { rows: [{ seen: new Set([1]) }] });
    const error = await batch.then(() => undefined, (e: unknown) => e);
    expect(ToolBatchError.isInstance(error)).toBe(true);
    const failure = (error as ToolBatchError).failures[0]!;
    expect([failure.kind, failure.message]).toEqual(['invalidResult', "the tool's partial result 2 is not JSON: $.rows[0].seen is a Set"]);
    // The bad partial is never announced; the generator's finally ran when the actor returned it.
    expect(events.filter((e) => e.type === 'call.partial').map((e) => (e as { value: unknown }).value)).toEqual([{ ok: 1 }]);
    await flush();
    expect(ctl.closed).toEqual(['a']);
  });

  it("returns the generator on abort: its finally runs at its next yield, and that value is dropped", async () => {
    const ctl = createControlledTool({ stream: true });
    const controller = new AbortController();
    const partials: unknown[] = [];
    const batch = runToolBatch(calls, { tools: [ctl.tool], signal: controller.signal, onEvent: (e) => e.type === 'call.partial' && partials.push(e.value) });
    await flush();
    ctl.partial('a', 'a1');
    await flush();
    controller.abort(new Error('user left'));
    await expect(batch).rejects.toThrow('user left');
    expect(ctl.signal('a').aborted).toBe(true);
    // The tool ignores its signal: it ends when it next yields, through the return() the actor called.
    ctl.partial('a', 'after abort');
    ctl.partial('b', 'after abort');
    await flush();
    expect(ctl.closed.toSorted()).toEqual(['a', 'b']);
    expect(partials).toEqual(['a1']);
  });

  it('returns the generator on timeout, on the simulated clock', async () => {
    const clock = new SimulatedClock();
    const ctl = createControlledTool({ stream: true });
    const events: ToolBatchEmitted[] = [];
    const batch = runToolBatch(calls.slice(0, 1), { tools: [ctl.tool], clock, timeoutMs: 50, onEvent: (event) => events.push(event) });
    await flush();
    clock.increment(20);
    ctl.partial('a', 'a1');
    await flush();
    clock.increment(30);
    const error = await batch.then(() => undefined, (e: unknown) => e);
    expect((error as ToolBatchError).failures.map((f: ToolFailure) => [f.kind, f.message])).toEqual([['timeout', 'the tool did not settle within 50 ms']]);
    expect(ctl.closed).toEqual([]);
    ctl.partial('a', 'late');
    await flush();
    expect(ctl.closed).toEqual(['a']);
    expect(events.map(brief)).toEqual([
      { type: 'call.started', id: 'a', at: 0 },
      { type: 'call.partial', index: 0, id: 'a', name: 'ctl', value: 'a1', at: 20 },
      { type: 'call.settled', id: 'a', status: 'failed', at: 50, kind: 'timeout' },
      { type: 'batch.settled', at: 50 },
    ]);
  });

  it('returns every running generator on batch.cancel and under failFast', async () => {
    const clock = new SimulatedClock();
    const ctl = createControlledTool({ stream: true });
    const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([ctl.tool]).runTool } });
    const actor = createActor(machine, { input: { calls, options: { concurrency: 2 } }, clock }).start();
    await flush();
    ctl.partial('a', 'a1');
    await flush();
    expect(actor.getSnapshot().context.streaming).toEqual([0]);
    actor.send({ type: 'batch.cancel' });
    expect(await toPromise(actor)).toEqual({ status: 'cancelled', outputs: [undefined, undefined] });
    ctl.partial('a', 'late');
    ctl.partial('b', 'late');
    await flush();
    expect(ctl.closed.toSorted()).toEqual(['a', 'b']);

    const failing = createControlledTool({ stream: true });
    const failFast = runToolBatch(calls, { tools: [failing.tool], policy: 'failFast' });
    await flush();
    failing.partial('b', 'b1');
    await flush();
    failing.reject('a', new Error('boom'));
    await expect(failFast).rejects.toThrow('boom');
    failing.partial('b', 'late');
    await flush();
    expect(failing.closed).toEqual(['a', 'b']);
  });

  it('returns the generator of a call cancelled with call.cancel while it streams; its sibling streams on', async () => {
    const clock = new SimulatedClock();
    const ctl = createControlledTool({ stream: true });
    const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([ctl.tool]).runTool } });
    const actor = createActor(machine, { input: { calls, options: { concurrency: 2, policy: 'settleAll' } }, clock }).start();
    await flush();
    ctl.partial('a', 'a1');
    ctl.partial('b', 'b1');
    await flush();
    actor.send({ type: 'call.cancel', id: 'a', reason: 'enough' });
    ctl.partial('a', 'late');
    await flush();
    expect(ctl.closed).toEqual(['a']);
    ctl.partial('b', 'b2');
    await flush();
    ctl.resolve('b', 'B');
    expect(await toPromise(actor)).toEqual({
      status: 'succeeded',
      results: [
        { ok: false, failure: { index: 0, id: 'a', name: 'ctl', kind: 'cancelled', message: 'the call was cancelled: enough', error: undefined } },
        { ok: true, output: { id: 'b', result: 'B' } },
      ],
    });
  });

  it('streams from an async iterable that a promise gives, and fails a broken iterator with kind error', async () => {
    const iterable = { async *[Symbol.asyncIterator]() { yield 'x'; return 'done'; } };
    const broken = { [Symbol.asyncIterator]: () => ({ next: () => { throw new Error('next broke'); } }) };
    const hostile = { n: 1, get [Symbol.asyncIterator](): never { throw new Error('getter'); } };
    const logic = (value: unknown) => createToolCallLogic(async () => value);
    const run = (value: unknown) => toPromise(createActor(logic(value), { input: { index: 0, call: calls[0]! } }).start());
    expect(await run(iterable)).toEqual({ type: 'call.succeeded', index: 0, output: { id: 'a', result: 'done' } });
    const failed = await run(broken);
    expect(failed.type === 'call.failed' && [failed.failure.kind, failed.failure.message]).toEqual(['error', 'next broke']);
    // A value whose Symbol.asyncIterator getter throws is no stream: it is checked as a result (JSON skips symbol keys).
    expect(await run(hostile)).toEqual({ type: 'call.succeeded', index: 0, output: { id: 'a', result: hostile } });
  });

  it('reaches an agent run through notifyParent: runAgent re-emits each call.partial with its step', async () => {
    const countdown = defineTool({
      name: 'countdown',
      description: 'counts down',
      parameters: z.object({ from: z.number() }),
      async *execute({ from }) {
        for (let n = from; n > 0; n--) yield { left: n };
        return 'liftoff';
      },
    });
    const partials: unknown[] = [];
    const output = await runAgent({
      model: createScriptedModel([askFor(toolCall('c1', 'countdown', '{"from":2}')), say('done')]),
      tools: [countdown],
      messages: [user],
      onEvent: (event) => event.type === 'call.partial' && partials.push([event.step, event.id, event.value]),
    });
    expect(partials).toEqual([
      [1, 'c1', { left: 2 }],
      [1, 'c1', { left: 1 }],
    ]);
    expect(output.messages[2]).toEqual({ role: 'tool', tool_call_id: 'c1', content: '"liftoff"' });
  });
});
