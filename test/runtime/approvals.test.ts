/**
 * Approvals, retries and durable runs through the promise APIs: a call that
 * needs an approval waits without a lane while the others run; a flaky call
 * backs off on XState's clock; a paused agent resumes from plain JSON.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, type Snapshot } from 'xstate';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { resumeAgent, runAgent } from '../../src/runtime/agent.js';
import { createFileStore } from '../../src/runtime/run-store.js';
import { createToolRouter, defineTool } from '../../src/runtime/tools.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { toolBatchMachine, type ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { askFor, say, toolCall, user } from '../helpers/chat.js';
import { controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

/** Waits (polling, bounded) until `condition` holds: for steps that wait on file I/O. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

const pay = defineTool({
  name: 'pay',
  description: 'Pays an amount',
  parameters: z.object({ amount: z.number() }),
  needsApproval: ({ amount }) => amount > 100,
  execute: ({ amount }) => `paid ${amount}`,
});

describe('approvals', () => {
  it('holds a call that needs approval without a lane while the others run, then runs it when approved', async () => {
    const ctl = controlledTool('ctl');
    const events: ToolBatchEmitted[] = [];
    const requests: string[] = [];
    let approveNow: (() => void) | undefined;
    const batch = runToolBatch(
      [
        { id: 'big', name: 'pay', arguments: { amount: 500 } },
        { id: 'c0', name: 'ctl', arguments: {} },
        { id: 'small', name: 'pay', arguments: { amount: 5 } },
      ],
      {
        tools: [pay, ctl.tool],
        concurrency: 1,
        onEvent: (event) => events.push(event),
        approve: (request) => {
          requests.push(`${request.id} ${JSON.stringify(request.arguments)}`);
          return new Promise<boolean>((resolve) => (approveNow = () => resolve(true)));
        },
      },
    );
    await flush();
    // N=1: `big` asked and gave its lane back, so c0 runs while the approval is pending.
    expect(requests).toEqual(['big {"amount":500}']);
    expect(ctl.running).toEqual(['c0']);
    ctl.resolve('c0', 'zero');
    await flush();
    approveNow!();
    expect(await batch).toEqual([
      { id: 'big', result: 'paid 500' },
      { id: 'c0', result: 'zero' },
      { id: 'small', result: 'paid 5' },
    ]);
    expect(events.filter((e) => e.type === 'call.approvalRequested').map((e) => e.id)).toEqual(['big']);
  });

  it('fails a denied call with kind denied; under settleAll the others keep their results', async () => {
    const results = await runToolBatch(
      [
        { id: 'big', name: 'pay', arguments: { amount: 500 } },
        { id: 'small', name: 'pay', arguments: { amount: 5 } },
      ],
      { tools: [pay], policy: 'settleAll', approve: () => false },
    );
    expect(results).toEqual([
      { ok: false, failure: { index: 0, id: 'big', name: 'pay', kind: 'denied', message: 'the call was denied: not approved', error: undefined } },
      { ok: true, output: { id: 'small', result: 'paid 5' } },
    ]);
  });

  it('denies every approval when runToolBatch has no approve option, so the batch never hangs', async () => {
    const results = await runToolBatch([{ id: 'big', name: 'pay', arguments: { amount: 500 } }], { tools: [pay], policy: 'settleAll' });
    expect(results).toMatchObject([{ ok: false, failure: { kind: 'denied', message: 'the call was denied: no approver was given (pass `approve`)' } }]);
  });
});

describe('retries', () => {
  it('retries on the clock with exact delays, holding no lane while it backs off, and reports the attempts of a final failure', async () => {
    const clock = new SimulatedClock();
    const runs: number[] = [];
    const flaky = defineTool({
      name: 'flaky',
      description: 'fails until its third attempt',
      parameters: z.object({}),
      retry: { attempts: 3, initialDelayMs: 100, factor: 3 },
      execute: (_args, { attempt }) => {
        runs.push(clock.now());
        if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
        return `ok on ${attempt}`;
      },
    });
    const always = defineTool({ name: 'always', description: 'always fails', parameters: z.object({}), retry: { attempts: 2, initialDelayMs: 50 }, execute: () => { throw new Error('no'); } });
    const events: ToolBatchEmitted[] = [];
    const batch = runToolBatch(
      [
        { id: 'f', name: 'flaky', arguments: {} },
        { id: 'a', name: 'always', arguments: {} },
      ],
      { tools: [flaky, always], policy: 'settleAll', concurrency: 1, clock, onEvent: (e) => events.push(e) },
    );
    await flush();
    clock.increment(49);
    await flush();
    clock.increment(1); // a's retry is due at 50
    await flush();
    clock.increment(50); // f's first retry at 100
    await flush();
    clock.increment(300); // f's second retry at 100 + 300
    await flush();
    const results = await batch;
    expect(runs).toEqual([0, 100, 400]);
    expect(events.filter((e) => e.type === 'call.retrying').map((e) => e.type === 'call.retrying' && `${e.id} attempt ${e.attempt} in ${e.delayMs} ms at ${e.at}`)).toEqual([
      'f attempt 2 in 100 ms at 0',
      'a attempt 2 in 50 ms at 0',
      'f attempt 3 in 300 ms at 100',
    ]);
    expect(results).toEqual([
      { ok: true, output: { id: 'f', result: 'ok on 3' } },
      { ok: false, failure: { index: 1, id: 'a', name: 'always', kind: 'error', message: 'no', error: expect.any(Error), attempts: 2 } },
    ]);
  });
});

describe('durable agent runs', () => {
  it('pauses for two parallel approvals, resumes from a JSON string in a fresh actor with one approval and one denial', async () => {
    const model = createScriptedModel([
      askFor(toolCall('p1', 'pay', '{"amount":500}'), toolCall('p2', 'pay', '{"amount":700}'), toolCall('p3', 'pay', '{"amount":5}')),
      say('done'),
    ]);
    const paused = await runAgent({ model, tools: [pay], messages: [user], policy: 'settleAll' });
    expect(paused.status).toBe('awaitingApproval');
    if (paused.status !== 'awaitingApproval') return;
    expect(paused.pending).toEqual([
      { id: 'p1', name: 'pay', arguments: { amount: 500 } },
      { id: 'p2', name: 'pay', arguments: { amount: 700 } },
    ]);
    const saved = JSON.stringify(paused.state);
    const result = await resumeAgent(JSON.parse(saved), { model, tools: [pay], decisions: { p1: true, p2: { approve: false, reason: 'too much' } } });
    expect(result.status).toBe('done');
    expect(result.messages.slice(-4)).toEqual([
      { role: 'tool', tool_call_id: 'p1', content: '"paid 500"' },
      { role: 'tool', tool_call_id: 'p2', content: '{"error":{"kind":"denied","message":"the call was denied: too much"}}' },
      { role: 'tool', tool_call_id: 'p3', content: '"paid 5"' },
      { role: 'assistant', content: 'done' },
    ]);
  });

  it('checkpoints to a file store and resumes by runId without running a settled call again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpt-runs-'));
    const crashed = mkdtempSync(join(tmpdir(), 'xpt-runs-'));
    try {
      const store = createFileStore(dir);
      const ctl = controlledTool('ctl');
      const calls = [0, 1].map((i) => ({ id: `c${i}`, name: 'ctl', arguments: {} }));
      const first = runToolBatch(calls, { tools: [ctl.tool], store, runId: 'run-1', policy: 'settleAll' });
      await until(() => ctl.started.length === 2); // the lease is taken and the store read first
      ctl.resolve('c0', 'zero');
      // The checkpoint after c0 settled: c0's output is in it, c1 still runs.
      for (let i = 0; i < 500 && !String(JSON.stringify(await store.load('run-1'))).includes('zero'); i++) await new Promise((resolve) => setTimeout(resolve, 2));
      expect((await store.load('run-1'))?.kind).toBe('batch');
      // While the first owner lives, the run is its own.
      await expect(runToolBatch(calls, { tools: [ctl.tool], store, runId: 'run-1', policy: 'settleAll' })).rejects.toMatchObject({ name: 'RunLeaseError', runId: 'run-1' });
      // What a crash of the first process leaves: its checkpoint, and no living owner.
      copyFileSync(join(dir, 'run-1.json'), join(crashed, 'run-1.json'));
      const again = controlledTool('ctl');
      const second = runToolBatch(calls, { tools: [again.tool], store: createFileStore(crashed), runId: 'run-1', policy: 'settleAll' });
      await until(() => again.started.length > 0);
      expect(again.started).toEqual(['c1']);
      again.resolve('c1', 'one');
      expect(await second).toEqual([
        { ok: true, output: { id: 'c0', result: 'zero' } },
        { ok: true, output: { id: 'c1', result: 'one' } },
      ]);
      ctl.resolve('c1', 'late');
      await first;
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(crashed, { recursive: true, force: true });
    }
  });
});

describe('the batch default retry', () => {
  it('retries every tool without a retry of its own when runToolBatch gets `retry`', async () => {
    let runs = 0;
    const once = defineTool({
      name: 'once',
      description: 'fails the first time',
      parameters: z.object({}),
      execute: (_args, { attempt }) => {
        runs++;
        if (attempt === 1) throw new Error('first');
        return attempt;
      },
    });
    expect(await runToolBatch([{ id: 'x', name: 'once', arguments: {} }], { tools: [once], retry: { attempts: 2, initialDelayMs: 1 } })).toEqual([{ id: 'x', result: 2 }]);
    expect(runs).toBe(2);
  });
});

describe('a restored batch with a call awaiting approval', () => {
  it('announces call.approvalRequested again as it starts, so an embedding app learns of the call', async () => {
    const clock = new SimulatedClock();
    const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([pay]).runTool } });
    const input = { calls: [{ id: 'big', name: 'pay', arguments: { amount: 500 } }, { id: 'small', name: 'pay', arguments: { amount: 5 } }], options: { policy: 'settleAll' as const } };
    const first = createActor(machine, { input, clock });
    const heard: unknown[] = [];
    first.on('call.approvalRequested', (event) => heard.push(event));
    first.start();
    await flush();
    expect(first.getSnapshot().context.awaiting).toEqual([0]);
    expect(heard).toEqual([{ type: 'call.approvalRequested', index: 0, id: 'big', name: 'pay', arguments: { amount: 500 }, at: 0 }]);
    const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as Snapshot<unknown>;
    first.stop();

    clock.increment(250);
    const restored = createActor(machine, { snapshot: saved, input, clock });
    const again: unknown[] = [];
    restored.on('call.approvalRequested', (event) => again.push(event));
    restored.start();
    await flush();
    expect(again).toEqual([{ type: 'call.approvalRequested', index: 0, id: 'big', name: 'pay', arguments: { amount: 500 }, at: 250 }]);
    restored.send({ type: 'call.approve', id: 'big' });
    await flush();
    expect(restored.getSnapshot().output).toEqual({
      status: 'succeeded',
      results: [
        { ok: true, output: { id: 'big', result: 'paid 500' } },
        { ok: true, output: { id: 'small', result: 'paid 5' } },
      ],
    });
    // Approved, the gate is gone: nothing announces the call again.
    expect(again).toHaveLength(1);
  });
});
