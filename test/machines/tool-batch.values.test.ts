/**
 * The batch as XState users embed, inspect and persist it: snapshots that
 * never change after they are taken, a parent that receives every event,
 * and persisted snapshots that survive JSON and finish the batch.
 */
import { describe, expect, it } from 'vitest';
import { assign, createActor, setup, SimulatedClock, toPromise, type AnyActorRef } from 'xstate';
import { toolBatchMachine, type ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { agentLoopMachine } from '../../machines/agent-loop.machine.js';
import { appendSettlements, emptyLog, lastSettlements, trailingAborted, type Settlement } from '../../machines/settlement-log.js';
import { createAgentMachine } from '../../src/runtime/agent.js';
import { createToolRouter, defineTool } from '../../src/runtime/tools.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { z } from 'zod';
import { askFor, say, toolCall, user } from '../helpers/chat.js';
import { callsFor, controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

function provided(tools: Parameters<typeof createToolRouter>[0]) {
  return toolBatchMachine.provide({ actors: { runTool: createToolRouter(tools).runTool } });
}

describe('toolBatchMachine as a value', () => {
  it('keeps a snapshot and a persisted snapshot taken mid-batch exactly as they were when taken', async () => {
    const ctl = controlledTool();
    const actor = createActor(provided([ctl.tool]), { input: { calls: callsFor('ctl', 4), options: { concurrency: 2 } }, clock: new SimulatedClock() });
    const seen: string[] = [];
    const subscribed: unknown[] = [];
    actor.subscribe((snapshot) => subscribed.push(snapshot));
    actor.start();
    await flush();
    ctl.resolve('c0', 'zero');
    await flush();
    const snapshot = actor.getSnapshot();
    const persisted = actor.getPersistedSnapshot();
    seen.push(JSON.stringify(snapshot), JSON.stringify(persisted));
    const subscribedThen = subscribed.map((s) => JSON.stringify(s));
    for (const id of ['c1', 'c2', 'c3']) {
      ctl.resolve(id);
      await flush();
    }
    expect((await toPromise(actor)).status).toBe('succeeded');
    expect([JSON.stringify(snapshot), JSON.stringify(persisted)]).toEqual(seen);
    expect(subscribed.slice(0, subscribedThen.length).map((s) => JSON.stringify(s))).toEqual(subscribedThen);
    // Each snapshot the subscriber got is its own value: the lanes it saw differ from step to step.
    const lanes = subscribed.map((s) => JSON.stringify((s as { context: { lanes: unknown } }).context.lanes));
    expect(new Set(lanes).size).toBeGreaterThan(2);
  });

  it('sends a parent every progress event with notifyParent, in order, from the first call.started', async () => {
    const ctl = controlledTool();
    const emitted: ToolBatchEmitted[] = [];
    const parent = setup({
      types: { context: {} as { received: ToolBatchEmitted[] }, events: {} as ToolBatchEmitted },
      actors: { batch: provided([ctl.tool]) },
    }).createMachine({
      context: { received: [] },
      invoke: {
        id: 'batch',
        src: 'batch',
        input: { calls: callsFor('ctl', 3), options: { concurrency: 2, policy: 'joinAll' }, notifyParent: true },
        onDone: '.done',
      },
      on: {
        '*': { actions: assign({ received: ({ context, event }) => [...context.received, event] }) },
      },
      initial: 'waiting',
      states: { waiting: {}, done: { type: 'final' } },
    });
    const clock = new SimulatedClock();
    const actor = createActor(parent, { clock }).start();
    // The batch's own emitted events, for comparison, from a listener attached as soon as the child exists.
    (actor.getSnapshot().children as Record<string, AnyActorRef>).batch!.on('*', (event) => emitted.push(event as ToolBatchEmitted));
    await flush();
    clock.increment(5);
    ctl.resolve('c1');
    await flush();
    ctl.reject('c0', new Error('no'));
    await flush();
    ctl.resolve('c2');
    await toPromise(actor);
    const received = actor.getSnapshot().context.received.filter((e) => e.type.startsWith('call.') || e.type === 'batch.settled');
    expect(received.map((e) => `${e.type} ${'index' in e ? e.index : 'status' in e ? e.status : e.why} @${e.at}`)).toEqual([
      'call.started 0 @0',
      'call.started 1 @0',
      'call.settled 1 @5',
      'call.started 2 @5',
      'call.settled 0 @5',
      'call.settled 2 @5',
      'batch.settled failed @5',
    ]);
    // A listener attached after the start missed the first admissions; the parent did not.
    expect(emitted.map((e) => e.type)).toEqual(['call.settled', 'call.started', 'call.settled', 'call.settled', 'batch.settled']);
  });

  it('restores a JSON round-tripped persisted snapshot (Infinity options included) and finishes the batch', async () => {
    const runs: string[] = [];
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = defineTool({
      name: 'slow',
      description: 'waits for the gate the first time',
      parameters: z.object({ i: z.number() }),
      execute: async ({ i }, { call }) => {
        runs.push(call.id);
        if (i === 1 && runs.filter((id) => id === 'c1').length === 1) await gate;
        return i * 10;
      },
    });
    const calls = callsFor('slow', 4);
    const first = createActor(provided([slow]), { input: { calls, options: { concurrency: 1, timeoutMs: Infinity } } }).start();
    await flush();
    await flush();
    // c0 settled, c1 is running (parked), c2 and c3 are queued: save mid-batch.
    expect(runs).toEqual(['c0', 'c1']);
    const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as unknown;
    first.stop();
    release!();
    const restored = createActor(provided([slow]), { snapshot: saved as never, input: { calls } }).start();
    const output = await toPromise(restored);
    expect(output).toEqual({
      status: 'succeeded',
      outputs: [0, 1, 2, 3].map((i) => ({ id: `c${i}`, result: i * 10 })),
    });
    // c0 settled before the save and never ran again; c1 was running and ran again (at-least-once).
    expect(runs.filter((id) => id === 'c0')).toHaveLength(1);
    expect(runs.filter((id) => id === 'c1')).toHaveLength(2);
    expect(new Set(runs)).toEqual(new Set(['c0', 'c1', 'c2', 'c3']));
  });

  it('restores the agent loop mid-run from JSON and finishes the conversation', async () => {
    const ctl = controlledTool('ctl');
    const model = createScriptedModel([askFor(toolCall('c1', 'ctl', '{}'), toolCall('c2', 'ctl', '{}')), say('both done')]);
    const machine = createAgentMachine({ model, tools: [ctl.tool] });
    const first = createActor(machine, { input: { messages: [user] } }).start();
    await flush();
    await flush();
    expect(ctl.running).toEqual(['c1', 'c2']);
    ctl.resolve('c1', 'one');
    await flush();
    const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as unknown;
    first.stop();
    const restored = createActor(machine, { snapshot: saved as never, input: { messages: [user] } }).start();
    await flush();
    await flush();
    // c2 was running when the run was saved: it runs again; c1 does not.
    expect(ctl.started).toEqual(['c1', 'c2', 'c2']);
    ctl.resolve('c2', 'two');
    const output = await toPromise(restored);
    expect(output.status).toBe('done');
    expect(output.messages.slice(-3)).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: '"one"' },
      { role: 'tool', tool_call_id: 'c2', content: '"two"' },
      { role: 'assistant', content: 'both done' },
    ]);
    expect(agentLoopMachine.id).toBe('agentLoop');
  });

  it('reads the tail of the settlement log across chunks, and counts the aborted calls at its end', () => {
    const settled = (index: number): Settlement => ({ index, status: 'succeeded', output: { id: `c${index}`, result: index } });
    const aborted = (index: number): Settlement => ({ index, status: 'aborted', failure: { index, id: `c${index}`, name: 't', kind: 'aborted', message: 'x', error: undefined } });
    let log = emptyLog;
    for (let i = 0; i < 70; i++) log = appendSettlements(log, [settled(i)]);
    log = appendSettlements(log, [aborted(70), aborted(71)]);
    expect(log.chunks.length).toBe(2);
    expect(lastSettlements(log, 9).map((s) => s.index)).toEqual([63, 64, 65, 66, 67, 68, 69, 70, 71]);
    expect(lastSettlements(log, 72).map((s) => s.index)).toEqual(Array.from({ length: 72 }, (_, i) => i));
    expect(lastSettlements(log, 0)).toEqual([]);
    expect(trailingAborted(log)).toBe(2);
    expect(trailingAborted(appendSettlements(emptyLog, [aborted(0), aborted(1)]))).toBe(2);
    expect(trailingAborted(emptyLog)).toBe(0);
  });
});
