import { SimulatedClock, type AnyActorRef, type InspectionEvent } from 'xstate';
import { freePort } from '../../src/cli/demo/local-redis.js';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { createWebSocketInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { defineTool } from '../../src/runtime/tools.js';
import { callsFor, controlledTool, flush } from '../helpers/controlled-tool.js';

type ActorEvent = Extract<InspectionEvent, { type: '@xstate.actor' }>;
type EventEvent = Extract<InspectionEvent, { type: '@xstate.event' }>;

function callIdOf(event: ActorEvent): string | undefined {
  const snapshot = event.actorRef.getSnapshot() as { input?: { call?: { id?: string } } };
  return snapshot.input?.call?.id;
}

function indexOf(event: EventEvent): unknown {
  return (event.event as { index?: unknown }).index;
}

describe('inspection of runToolBatch', () => {
  it('shows the spawn of every invocation actor and every call.* event', async () => {
    const ctl = controlledTool('ctl');
    const clock = new SimulatedClock();
    const events: InspectionEvent[] = [];
    const done = runToolBatch(callsFor('ctl', 5), {
      tools: [ctl.tool],
      concurrency: 2,
      policy: 'settleAll',
      timeoutMs: 1_000,
      clock,
      inspect: (event) => events.push(event),
    });
    await flush();
    ctl.resolve('c1');
    await flush();
    ctl.reject('c0', new Error('boom'));
    await flush();
    clock.increment(1_000); // c2 and c3 started together; both time out
    await flush();
    ctl.resolve('c4');
    const results = await done;
    expect(results.map((result) => result.ok)).toEqual([false, true, false, false, true]);

    const root = events.find((event): event is ActorEvent => event.type === '@xstate.actor')!.actorRef;
    const spawned = events.filter((event): event is ActorEvent => event.type === '@xstate.actor' && event.actorRef !== root);
    // One invocation actor per call, in admission order; ids are reused per lane.
    expect(spawned.map(callIdOf)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(spawned.map((event) => (event.actorRef as AnyActorRef).id)).toEqual(['0', '1', '1', '0', '1']);
    expect(new Set(spawned.map((event) => event.actorRef.sessionId)).size).toBe(5);

    // Every completion reaches the batch, sent by the invocation actor that ran the call.
    const reports = events.filter(
      (event): event is EventEvent => event.type === '@xstate.event' && event.event.type.startsWith('call.') && event.actorRef === root,
    );
    expect(reports.map((event) => [event.event.type, indexOf(event)])).toEqual([
      ['call.succeeded', 1],
      ['call.failed', 0],
      ['call.failed', 2],
      ['call.failed', 3],
      ['call.succeeded', 4],
    ]);
    const senderOf = new Map(spawned.map((event) => [event.actorRef, callIdOf(event)]));
    expect(reports.map((event) => senderOf.get(event.sourceRef!))).toEqual(['c1', 'c0', 'c2', 'c3', 'c4']);

    // The timeouts are events of the invocation actors themselves, on the simulated clock.
    const timeouts = events.filter((event): event is EventEvent => event.type === '@xstate.event' && event.event.type === 'call.timeout');
    expect(timeouts.map((event) => senderOf.get(event.actorRef))).toEqual(['c2', 'c3']);
  });

  it('shows every call.* event of a failFast batch and no spawn after the failure', async () => {
    const ctl = controlledTool('ctl');
    const events: InspectionEvent[] = [];
    const done = runToolBatch(callsFor('ctl', 4), {
      tools: [ctl.tool],
      concurrency: 2,
      inspect: { next: (event) => events.push(event) },
    });
    await flush();
    ctl.reject('c1', new Error('boom'));
    await expect(done).rejects.toMatchObject({ name: 'ToolBatchError' });
    const actors = events.filter((event): event is ActorEvent => event.type === '@xstate.actor');
    expect(actors.slice(1).map(callIdOf)).toEqual(['c0', 'c1']);
    const calls = events.filter((event): event is EventEvent => event.type === '@xstate.event' && event.event.type.startsWith('call.'));
    expect(calls.map((event) => event.event.type)).toEqual(['call.failed']);
  });
});

describe('the Stately inspector over a WebSocket (README, "Inspecting a run")', () => {
  it('delivers every event of a 100-call batch, the final snapshot included, in order, when the recipe is followed as written', async () => {
    const port = await freePort();
    const add = defineTool({
      name: 'add',
      description: 'Adds two numbers',
      parameters: z.object({ a: z.number(), b: z.number() }),
      execute: ({ a, b }) => a + b,
    });
    const tools = [add];
    const calls = Array.from({ length: 100 }, (_, i) => ({ id: `c${i}`, name: 'add', arguments: { a: i, b: 1 } }));
    // What XState reports, straight from the actor system, to compare with what reaches the inspector.
    const direct: string[] = [];
    const describeDirect = (event: InspectionEvent): string =>
      `${event.type} ${event.actorRef.sessionId}${event.type === '@xstate.event' ? ` ${event.event.type}` : ''}`;

    // The README's recipe, with the port made free for the test.
    const server = createInspectorServer({ port, autoOpen: false });
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}`, maxDeferredEvents: Infinity });
    // The consumer (the inspector page, here a plain WebSocket client) is connected before the run starts.
    const received: StatelyInspectionEvent[] = [];
    const consumer = new WebSocket(`ws://127.0.0.1:${port}`);
    await once(consumer, 'open');
    consumer.on('message', (data) => received.push(JSON.parse(String(data)) as StatelyInspectionEvent));
    // The inspector shows actors, events and snapshots (not XState's microstep and action records).
    const shown = new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
    const inspect = (event: InspectionEvent): void => {
      if (shown.has(event.type)) direct.push(describeDirect(event));
      inspector.inspect.next?.(event);
    };
    const outputs = await runToolBatch(calls, { tools, inspect });
    await new Promise((resolve) => setTimeout(resolve, 0)); // the inspector sends each event a tick later
    try {
      expect(outputs).toHaveLength(100);
      const describeReceived = (event: StatelyInspectionEvent): string =>
        `${event.type} ${event.sessionId}${event.type === '@xstate.event' ? ` ${event.event.type}` : ''}`;
      await until(() => received.length >= direct.length);
      expect(received.map(describeReceived)).toEqual(direct);
      const last = received.at(-1)!;
      expect(last.type).toBe('@xstate.snapshot');
      expect((last as { snapshot: { status: string; output?: unknown } }).snapshot.status).toBe('done');
      console.log(`inspector check: ${received.length} of ${direct.length} events delivered in order, the last the batch's final snapshot`);
    } finally {
      inspector.stop();
      consumer.close();
      server.stop();
    }
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
