/**
 * `call.cancel` on the batch machine: a cancel of each slot state (queued,
 * running, retrying, awaiting an approval) under each policy, with exact
 * outputs, peaks and event order on a simulated clock; and the cancels that
 * change nothing.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createActor, SimulatedClock, toPromise } from 'xstate';
import { toolBatchMachine, type ToolBatchEmitted, type ToolBatchOutput } from '../../machines/tool-batch.machine.js';
import { createToolRouter, defineTool } from '../../src/runtime/tools.js';
import { joinPolicies, type JoinPolicy, type ToolCall } from '../../src/core/schemas.js';
import { controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

const ask = defineTool({ name: 'ask', description: 'needs an approval', parameters: z.unknown(), needsApproval: true, execute: () => 'asked' });
const flaky = defineTool({
  name: 'flaky',
  description: 'fails, and is retried after 100 ms',
  parameters: z.unknown(),
  retry: { attempts: 2, initialDelayMs: 100 },
  execute: () => {
    throw new Error('down');
  },
});

function start(calls: ToolCall[], policy: JoinPolicy, concurrency: number) {
  const ctl = controlledTool();
  const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([ctl.tool, ask, flaky]).runTool } });
  const clock = new SimulatedClock();
  const actor = createActor(machine, { input: { calls, options: { policy, concurrency } }, clock });
  const events: ToolBatchEmitted[] = [];
  actor.on('*', (event) => events.push(event));
  let peak = 0;
  actor.subscribe((snapshot) => (peak = Math.max(peak, snapshot.context.running)));
  actor.start();
  /** Each event as `type index|id status|why @at`. */
  const order = () =>
    events.map((e) => {
      if (e.type === 'batch.settled') return `batch.settled ${e.status} @${e.at}`;
      if (e.type === 'call.cancelIgnored') return `call.cancelIgnored ${e.id} ${e.why} @${e.at}`;
      if (e.type === 'call.settled') return `call.settled ${e.index} ${e.status} @${e.at}`;
      return `${e.type} ${e.index} @${e.at}`;
    });
  return { ctl, actor, clock, order, peak: () => peak, done: toPromise(actor) };
}

const call = (id: string, name: string): ToolCall => ({ id, name, arguments: {} });
const cancelled = (index: number, id: string, name: string, message: string) => ({ index, id, name, kind: 'cancelled' as const, message, error: undefined });

/** What each policy's output is when call `index` was cancelled and every other call succeeded with its id. */
function expectedOutput(policy: JoinPolicy, ids: string[], failure: ReturnType<typeof cancelled>): ToolBatchOutput {
  const outputs = ids.map((id, i) => (i === failure.index ? undefined : { id, result: id }));
  if (policy === 'settleAll') return { status: 'succeeded', results: outputs.map((output) => (output ? { ok: true, output } : { ok: false, failure })) };
  return { status: 'failed', policy, failures: [failure], outputs };
}

describe('toolBatchMachine call.cancel', () => {
  describe.each(joinPolicies)('%s', (policy) => {
    it('cancels a queued call: it never starts, and the batch goes on', async () => {
      const batch = start([call('c0', 'ctl'), call('c1', 'ctl'), call('c2', 'ctl')], policy, 2);
      await flush();
      batch.actor.send({ type: 'call.cancel', id: 'c2', reason: 'not needed' });
      batch.ctl.resolve('c0');
      await flush();
      batch.ctl.resolve('c1');
      expect(await batch.done).toEqual(expectedOutput(policy, ['c0', 'c1', 'c2'], cancelled(2, 'c2', 'ctl', 'the call was cancelled: not needed')));
      expect(batch.ctl.started).toEqual(['c0', 'c1']);
      expect(batch.peak()).toBe(2);
      expect(batch.order()).toEqual([
        'call.started 0 @0',
        'call.started 1 @0',
        'call.settled 2 cancelled @0',
        'call.settled 0 succeeded @0',
        'call.settled 1 succeeded @0',
        `batch.settled ${policy === 'settleAll' ? 'succeeded' : 'failed'} @0`,
      ]);
    });

    it('cancels a running call: its signal aborts with the reason and the next queued call takes its lane in the same step', async () => {
      const batch = start([call('c0', 'ctl'), call('c1', 'ctl'), call('c2', 'ctl')], policy, 2);
      await flush();
      batch.clock.increment(30);
      batch.actor.send({ type: 'call.cancel', id: 'c0', reason: 'too slow' });
      const reason = batch.ctl.signal('c0').reason as DOMException;
      expect([reason.name, reason.message]).toEqual(['AbortError', 'The tool call was cancelled: too slow']);
      expect(batch.actor.getSnapshot().context.lanes).toEqual([2, 1]);
      // The tool ignores its signal and settles late: the report changes nothing.
      batch.ctl.resolve('c0', 'late');
      await flush();
      batch.ctl.resolve('c1');
      batch.ctl.resolve('c2');
      expect(await batch.done).toEqual(expectedOutput(policy, ['c0', 'c1', 'c2'], cancelled(0, 'c0', 'ctl', 'the call was cancelled: too slow')));
      expect(batch.ctl.started).toEqual(['c0', 'c1', 'c2']);
      expect(batch.peak()).toBe(2);
      expect(batch.order()).toEqual([
        'call.started 0 @0',
        'call.started 1 @0',
        'call.settled 0 cancelled @30',
        'call.started 2 @30',
        'call.settled 1 succeeded @30',
        'call.settled 2 succeeded @30',
        `batch.settled ${policy === 'settleAll' ? 'succeeded' : 'failed'} @30`,
      ]);
    });

    it('cancels a call that backs off before its retry: the retry never runs', async () => {
      const batch = start([call('f0', 'flaky'), call('c1', 'ctl')], policy, 1);
      await flush();
      expect(batch.actor.getSnapshot().context.retrying).toEqual([0]);
      batch.clock.increment(40);
      batch.actor.send({ type: 'call.cancel', id: 'f0' });
      batch.clock.increment(100);
      await flush();
      batch.ctl.resolve('c1');
      expect(await batch.done).toEqual(expectedOutput(policy, ['f0', 'c1'], cancelled(0, 'f0', 'flaky', 'the call was cancelled')));
      expect(batch.peak()).toBe(1);
      expect(batch.order()).toEqual([
        'call.started 0 @0',
        'call.retrying 0 @0',
        'call.started 1 @0',
        'call.settled 0 cancelled @40',
        'call.settled 1 succeeded @140',
        `batch.settled ${policy === 'settleAll' ? 'succeeded' : 'failed'} @140`,
      ]);
    });

    it('cancels a call that awaits an approval: its gate closes and it never runs', async () => {
      const batch = start([call('a0', 'ask'), call('c1', 'ctl')], policy, 1);
      await flush();
      expect(batch.actor.getSnapshot().context.awaiting).toEqual([0]);
      batch.actor.send({ type: 'call.cancel', id: 'a0', reason: 'the user left' });
      expect(Object.keys(batch.actor.getSnapshot().children)).toEqual(['0']);
      batch.actor.send({ type: 'call.approve', id: 'a0' });
      batch.ctl.resolve('c1');
      expect(await batch.done).toEqual(expectedOutput(policy, ['a0', 'c1'], cancelled(0, 'a0', 'ask', 'the call was cancelled: the user left')));
      expect(batch.peak()).toBe(1);
      expect(batch.order()).toEqual([
        'call.started 0 @0',
        'call.approvalRequested 0 @0',
        'call.started 1 @0',
        'call.settled 0 cancelled @0',
        'call.settled 1 succeeded @0',
        `batch.settled ${policy === 'settleAll' ? 'succeeded' : 'failed'} @0`,
      ]);
    });
  });

  it('under failFast a cancel ends nothing, and a later failure still ends the batch first', async () => {
    const batch = start([call('c0', 'ctl'), call('c1', 'ctl'), call('c2', 'ctl')], 'failFast', 3);
    await flush();
    batch.actor.send({ type: 'call.cancel', id: 'c0' });
    expect(batch.actor.getSnapshot().value).toBe('running');
    batch.ctl.reject('c1', new Error('boom'));
    const output = await batch.done;
    expect(output.status === 'failed' && output.failures.map((f) => [f.id, f.kind])).toEqual([
      ['c1', 'error'],
      ['c0', 'cancelled'],
      ['c2', 'aborted'],
    ]);
  });

  it('ends a batch whose last call is cancelled: succeeded under settleAll, failed otherwise', async () => {
    for (const policy of joinPolicies) {
      const batch = start([call('c0', 'ctl')], policy, 1);
      await flush();
      batch.actor.send({ type: 'call.cancel', id: 'c0' });
      expect(await batch.done).toEqual(expectedOutput(policy, ['c0'], cancelled(0, 'c0', 'ctl', 'the call was cancelled')));
    }
  });

  it('ignores an unknown id, a settled call and a repeated cancel, and says why', async () => {
    const batch = start([call('c0', 'ctl'), call('c1', 'ctl'), call('c2', 'ctl')], 'joinAll', 1);
    await flush();
    batch.ctl.resolve('c0');
    await flush();
    batch.actor.send({ type: 'call.cancel', id: 'c2' });
    const before = batch.actor.getSnapshot();
    batch.actor.send({ type: 'call.cancel', id: 'nobody' });
    batch.actor.send({ type: 'call.cancel', id: 'c0' });
    batch.actor.send({ type: 'call.cancel', id: 'c2' });
    batch.actor.send({ type: 'call.cancel', id: '__proto__' });
    expect(batch.actor.getSnapshot().context).toBe(before.context);
    batch.ctl.resolve('c1');
    const output = await batch.done;
    expect(output).toEqual({ status: 'failed', policy: 'joinAll', failures: [cancelled(2, 'c2', 'ctl', 'the call was cancelled')], outputs: [{ id: 'c0', result: 'c0' }, { id: 'c1', result: 'c1' }, undefined] });
    expect(batch.order()).toEqual([
      'call.started 0 @0',
      'call.settled 0 succeeded @0',
      'call.started 1 @0',
      'call.settled 2 cancelled @0',
      'call.cancelIgnored nobody unknown @0',
      'call.cancelIgnored c0 settled @0',
      'call.cancelIgnored c2 repeated @0',
      'call.cancelIgnored __proto__ unknown @0',
      'call.settled 1 succeeded @0',
      'batch.settled failed @0',
    ]);
  });

  it('skips a withdrawn call that is not the head of its queue, and admits the rest in index order', async () => {
    const batch = start([call('c0', 'ctl'), call('c1', 'ctl'), call('c2', 'ctl'), call('c3', 'ctl')], 'settleAll', 1);
    await flush();
    batch.actor.send({ type: 'call.cancel', id: 'c2' });
    batch.ctl.resolve('c0');
    await flush();
    batch.ctl.resolve('c1');
    await flush();
    batch.ctl.resolve('c3');
    await batch.done;
    expect(batch.ctl.started).toEqual(['c0', 'c1', 'c3']);
  });
});
