import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, toPromise } from 'xstate';
import { z } from 'zod';
import { createToolCallLogic, toolCallChart, type ToolCallStateValue } from '../../machines/tool-call.machine.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { defineTool } from '../../src/runtime/tools.js';
import { ToolBatchError } from '../../src/core/errors.js';
import type { ToolFailure } from '../../src/core/schemas.js';
import { callsFor, controlledTool, flush } from '../helpers/controlled-tool.js';

const call = { id: 'a', name: 'echo', arguments: 1 };

/** The chart's edges as "from->to", to check the logic walks only those. */
function chartEdges(): Set<string> {
  const edges = new Set<string>();
  for (const [name, node] of Object.entries(toolCallChart.root.states)) {
    for (const transitions of node.transitions.values()) {
      for (const transition of transitions) {
        for (const target of transition.target ?? []) edges.add(`${name}->${target.key}`);
      }
    }
  }
  return edges;
}

describe('createToolCallLogic', () => {
  it('finishes alone with a call.succeeded output and walks running -> succeeded', async () => {
    const actor = createActor(createToolCallLogic(async (c) => ({ echoed: c.arguments })), { input: { index: 4, call } });
    const values: ToolCallStateValue[] = [];
    actor.subscribe((snapshot) => values.push(snapshot.value));
    actor.start();
    expect(await toPromise(actor)).toEqual({ type: 'call.succeeded', index: 4, output: { id: 'a', result: { echoed: 1 } } });
    expect(values).toEqual(['running', 'succeeded']);
    expect(chartEdges().has('running->succeeded')).toBe(true);
  });

  it('times out on the actor system clock and aborts the signal with a TimeoutError', async () => {
    const clock = new SimulatedClock();
    let signal: AbortSignal | undefined;
    const actor = createActor(
      createToolCallLogic((_c, context) => {
        signal = context.signal;
        return new Promise(() => {});
      }),
      { input: { index: 0, call, timeoutMs: 100 }, clock },
    ).start();
    clock.increment(99);
    expect(actor.getSnapshot().value).toBe('running');
    expect(signal!.aborted).toBe(false);
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('timedOut');
    expect(signal!.aborted).toBe(true);
    expect((signal!.reason as DOMException).name).toBe('TimeoutError');
    const output = actor.getSnapshot().output!;
    expect(output.type === 'call.failed' && [output.failure.kind, output.failure.message]).toEqual([
      'timeout',
      'the tool did not settle within 100 ms',
    ]);
    expect(chartEdges().has('running->timedOut')).toBe(true);
  });

  it('lets a per-tool timeout win over the batch timeout', async () => {
    const clock = new SimulatedClock();
    const actor = createActor(
      createToolCallLogic(() => new Promise(() => {}), { timeoutFor: () => 10 }),
      { input: { index: 0, call, timeoutMs: 1_000 }, clock },
    ).start();
    clock.increment(10);
    expect(actor.getSnapshot().value).toBe('timedOut');
  });

  it('drops a result that arrives after the timeout', async () => {
    const clock = new SimulatedClock();
    let resolve!: (value: unknown) => void;
    const actor = createActor(
      createToolCallLogic(() => new Promise((r) => (resolve = r))),
      { input: { index: 0, call, timeoutMs: 5 }, clock },
    ).start();
    clock.increment(5);
    resolve('late');
    await flush();
    expect(actor.getSnapshot().value).toBe('timedOut');
    expect(actor.getSnapshot().output?.type).toBe('call.failed');
  });

  it('gives a tool that reads its signal after the call ended an aborted signal', async () => {
    let later: (() => AbortSignal) | undefined;
    const clock = new SimulatedClock();
    createActor(
      createToolCallLogic((_c, context) => {
        later = () => context.signal;
        return new Promise(() => {});
      }),
      { input: { index: 0, call, timeoutMs: 5 }, clock },
    ).start();
    clock.increment(5);
    const signal = later!();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });
});

describe('failure kinds through runToolBatch', () => {
  const settle = async (tool: Parameters<typeof defineTool>[0], args: unknown = {}): Promise<ToolFailure> => {
    const [result] = await runToolBatch([{ id: 'x', name: tool.name, arguments: args }], { tools: [defineTool(tool)], policy: 'settleAll' });
    if (result!.ok) throw new Error(`expected a failure, got ${JSON.stringify(result!.output)}`);
    return result!.failure;
  };
  const returning = (value: unknown) => ({ name: 't', description: '', parameters: z.unknown(), execute: () => value });

  it('error: a tool that throws synchronously', async () => {
    const failure = await settle({ name: 't', description: '', parameters: z.unknown(), execute: () => { throw new RangeError('sync'); } });
    expect([failure.kind, failure.message, (failure.error as Error).name]).toEqual(['error', 'sync', 'RangeError']);
  });

  it('unknownTool: no tool has the name', async () => {
    const [result] = await runToolBatch([{ id: 'x', name: 'missing', arguments: {} }], { tools: [defineTool(returning(1))], policy: 'settleAll' });
    expect(!result!.ok && [result!.failure.kind, result!.failure.message]).toEqual(['unknownTool', 'No tool named "missing" (known tools: "t")']);
  });

  it('invalidArguments: carries zod issues', async () => {
    const failure = await settle({ name: 't', description: '', parameters: z.object({ n: z.number() }), execute: ({ n }) => n }, { n: 'one' });
    expect(failure.kind).toBe('invalidArguments');
    expect(failure.message).toBe('Invalid arguments for "t": ✖ Invalid input: expected number, received string;   → at n');
    expect((failure.error as { details: Array<{ path: unknown[] }> }).details.map((issue) => issue.path)).toEqual([['n']]);
  });

  it.each([
    ['undefined', undefined, '$ is undefined'],
    ['a BigInt', 10n, '$ is a BigInt'],
    ['a function', () => 1, '$ is a function'],
    ['a nested NaN', { a: [1, Number.NaN] }, '$.a[1] is NaN, which JSON cannot hold'],
  ])('invalidResult: a tool that returns %s', async (_label, value, problem) => {
    const failure = await settle(returning(value));
    expect([failure.kind, failure.message]).toEqual(['invalidResult', `the tool's result is not JSON: ${problem}`]);
  });

  it('invalidResult: a tool that returns a cycle', async () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const failure = await settle(returning(cycle));
    expect([failure.kind, failure.message]).toEqual(['invalidResult', "the tool's result is not JSON: $.self is a cycle"]);
  });

  it('accepts JSON values, dates and omitted optional fields', async () => {
    const date = new Date(0);
    const [result] = await runToolBatch([{ id: 'x', name: 't', arguments: {} }], {
      tools: [defineTool(returning({ date, list: [1, 'a', null, true], optional: undefined }))],
    });
    expect(result).toEqual({ id: 'x', result: { date, list: [1, 'a', null, true], optional: undefined } });
  });

  it('timeout: a tool that never settles, driven by SimulatedClock', async () => {
    const ctl = controlledTool('ctl');
    const clock = new SimulatedClock();
    const batch = runToolBatch(callsFor('ctl', 2), { tools: [ctl.tool], timeoutMs: 50, clock, policy: 'joinAll' });
    const rejection = batch.catch((error: unknown) => error);
    await flush();
    ctl.resolve('c1', 'in time');
    await flush();
    clock.increment(50);
    const error = (await rejection) as ToolBatchError;
    expect(error.failures.map((f) => [f.index, f.kind])).toEqual([[0, 'timeout']]);
    expect(error.outputs).toEqual([undefined, { id: 'c1', result: 'in time' }]);
    expect(ctl.pending.get('c0')!.signal.aborted).toBe(true);
  });

  it("timeout: a tool's own timeoutMs wins over the batch's", async () => {
    const ctl = controlledTool('ctl', 10);
    const clock = new SimulatedClock();
    const batch = runToolBatch(callsFor('ctl', 1), { tools: [ctl.tool], timeoutMs: 1_000, clock, policy: 'settleAll' });
    await flush();
    clock.increment(10);
    const [result] = await batch;
    expect(!result!.ok && result!.failure.kind).toBe('timeout');
  });
});
