import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createCallControl } from '../../src/runtime/call-control.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { runAgent } from '../../src/runtime/agent.js';
import { withParallelTools } from '../../src/runtime/parallel-tools-step.js';
import { createScriptedModel } from '../../src/models/scripted-model.js';
import { ToolBatchError } from '../../src/core/errors.js';
import { askFor, say, toolCall, user } from '../helpers/chat.js';
import { callsFor, controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

describe('createCallControl', () => {
  it('cancels one running call of runToolBatch: its signal aborts with the reason and its slot holds the cancel', async () => {
    const ctl = controlledTool();
    const control = createCallControl();
    expect(control.cancel('c0')).toBe('idle');
    const batch = runToolBatch(callsFor('ctl', 4), { tools: [ctl.tool], policy: 'settleAll', concurrency: 2, control, clock: new SimulatedClock() });
    await flush();
    expect(control.cancel('c0', 'too slow')).toBe('cancelled');
    expect((ctl.signal('c0').reason as DOMException).message).toBe('The tool call was cancelled: too slow');
    expect([control.cancel('c0'), control.cancel('nobody'), control.cancel('c3')]).toEqual(['repeated', 'unknown', 'cancelled']);
    await flush();
    ctl.resolve('c1');
    await flush();
    expect(control.cancel('c1')).toBe('settled');
    ctl.resolve('c2');
    expect(await batch).toEqual([
      { ok: false, failure: { index: 0, id: 'c0', name: 'ctl', kind: 'cancelled', message: 'the call was cancelled: too slow', error: undefined } },
      { ok: true, output: { id: 'c1', result: 'c1' } },
      { ok: true, output: { id: 'c2', result: 'c2' } },
      { ok: false, failure: { index: 3, id: 'c3', name: 'ctl', kind: 'cancelled', message: 'the call was cancelled', error: undefined } },
    ]);
    expect(ctl.started).toEqual(['c0', 'c1', 'c2']);
    expect(control.cancel('c1')).toBe('idle');
  });

  it('under joinAll rejects with a ToolBatchError that keeps the other outputs', async () => {
    const ctl = controlledTool();
    const control = createCallControl();
    const batch = runToolBatch(callsFor('ctl', 2), { tools: [ctl.tool], policy: 'joinAll', control, clock: new SimulatedClock() });
    await flush();
    control.cancel('c1', 'not needed');
    ctl.resolve('c0');
    const error = await batch.catch((e: unknown) => e);
    expect(ToolBatchError.isInstance(error) && [error.failures.map((f) => [f.id, f.kind, f.message]), error.outputs]).toEqual([
      [['c1', 'cancelled', 'the call was cancelled: not needed']],
      [{ id: 'c0', result: 'c0' }, undefined],
    ]);
  });

  it('rejects a control that is not one, and a control that already runs another batch', async () => {
    await expect(runToolBatch([], { tools: [], control: { cancel: () => 'cancelled' } as never })).rejects.toThrow(
      new TypeError('Expected `control` to be a control from `createCallControl()`, got `an object` (object)'),
    );
    const ctl = controlledTool();
    const control = createCallControl();
    const first = runToolBatch(callsFor('ctl', 1), { tools: [ctl.tool], control });
    await expect(runToolBatch(callsFor('ctl', 1, 'd'), { tools: [ctl.tool], control })).rejects.toThrow(
      new Error('This `control` already controls a running batch or agent: create one control per run'),
    );
    await flush();
    ctl.resolve('c0');
    expect(await first).toEqual([{ id: 'c0', result: 'c0' }]);
  });

  it('cancels a call of runAgent: the model reads why, and the run goes on under failFast', async () => {
    const ctl = controlledTool('slow');
    const control = createCallControl();
    const turn1 = askFor(toolCall('s1', 'slow', '{}'), toolCall('s2', 'slow', '{}'));
    const model = createScriptedModel([turn1, say('one search was cancelled')]);
    const run = runAgent({ model, tools: [ctl.tool], messages: [user], policy: 'failFast', control, clock: new SimulatedClock() });
    await flush();
    expect(control.cancel('s2', 'the user gave up')).toBe('cancelled');
    ctl.resolve('s1', 'found');
    const output = await run;
    expect(output.status).toBe('done');
    expect(output.messages.slice(2, 4)).toEqual([
      { role: 'tool', tool_call_id: 's1', content: '"found"' },
      { role: 'tool', tool_call_id: 's2', content: '{"error":{"kind":"cancelled","message":"the call was cancelled: the user gave up"}}' },
    ]);
    expect(control.cancel('s1')).toBe('idle');
  });

  it('cancels a call of a withParallelTools step: the step answers every call and does not reject', async () => {
    const ctl = controlledTool('slow');
    const control = createCallControl();
    const turn = askFor(toolCall('s1', 'slow', '{}'), toolCall('s2', 'slow', '{}'));
    const step = withParallelTools(async (messages) => ({ type: 'next', messages: [...messages, turn], invokedTools: [] }), { tools: [ctl.tool], control });
    const next = step([user]);
    await flush();
    control.cancel('s1');
    ctl.resolve('s2', 2);
    const result = await next;
    expect(result.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 's1', content: '{"error":{"kind":"cancelled","message":"the call was cancelled"}}' },
      { role: 'tool', tool_call_id: 's2', content: '2' },
    ]);
  });
});
