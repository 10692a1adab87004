/**
 * The soak: many batches back to back through `runToolBatch`, with heap
 * samples after a full GC and a count of the actors each batch's system still
 * holds when its promise settles. Used by test/soak.test.ts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import type { JoinPolicy, ToolCall } from '../../src/core/schemas.js';
import { createToolRouter, defineTool } from '../../src/runtime/tools.js';

/** `global.gc`, exposed at run time when node was not started with --expose-gc. */
export function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export interface SoakOptions {
  batches: number;
  callsPerBatch: number;
  concurrency: number;
  /** Batch numbers (1-based) after which to sample the heap. */
  sampleAt: number[];
}

export interface SoakResult {
  samples: Array<{ batch: number; heapUsed: number }>;
  /** Most actors any batch's system still held (registered, not stopped) once its promise settled. */
  maxActorsLeft: number;
  /** Most children any batch's root snapshot still listed once it ended. */
  maxChildrenLeft: number;
  /** Most actors registered at once in any batch (root included), and most children listed at once: the tracker sees them. */
  peakActors: number;
  peakChildren: number;
  outcomes: Record<string, number>;
}

const policies: JoinPolicy[] = ['joinAll', 'failFast', 'settleAll'];

/** Tracks the actors one batch's system registers and unregisters, through the inspection hook. */
function actorTracker() {
  const live = new Set<string>();
  let rootChildren = 0;
  let peakActors = 0;
  let peakChildren = 0;
  let patched = false;
  const inspect = (event: InspectionEvent) => {
    if (!patched && event.type === '@xstate.actor') {
      patched = true;
      const system = (event.actorRef as AnyActorRef).system as unknown as {
        _register(sessionId: string, actor: AnyActorRef): string;
        _unregister(actor: AnyActorRef): void;
      };
      const { _register, _unregister } = system;
      live.add(event.actorRef.sessionId);
      system._register = (sessionId, actor) => {
        live.add(sessionId);
        peakActors = Math.max(peakActors, live.size);
        return _register(sessionId, actor);
      };
      system._unregister = (actor) => {
        live.delete(actor.sessionId);
        _unregister(actor);
      };
    }
    if (event.type === '@xstate.snapshot' && (event.actorRef as AnyActorRef)._parent === undefined) {
      const snapshot = event.snapshot as { children?: Record<string, unknown> };
      rootChildren = Object.keys(snapshot.children ?? {}).length;
      peakChildren = Math.max(peakChildren, rootChildren);
    }
  };
  return { inspect, live, children: () => rootChildren, peaks: () => [peakActors, peakChildren] as const };
}

export async function soak(options: SoakOptions): Promise<SoakResult> {
  const gc = exposeGc();
  const work = defineTool({
    name: 'work',
    description: 'succeeds, or fails when asked',
    parameters: z.object({ fail: z.boolean() }),
    execute: async ({ fail }) => {
      await Promise.resolve();
      if (fail) throw new Error('asked to fail');
      return { ok: true };
    },
  });
  // One router for the whole run, as an application would hold it.
  const router = createToolRouter([work]);
  const samples: SoakResult['samples'] = [];
  const outcomes: Record<string, number> = {};
  let maxActorsLeft = 0;
  let maxChildrenLeft = 0;
  let peakActors = 0;
  let peakChildren = 0;
  for (let batch = 1; batch <= options.batches; batch++) {
    const policy = policies[batch % policies.length]!;
    // Every fourth batch has a failing call in the middle: failFast aborts the calls running then.
    const failing = batch % 4 === 0 ? Math.floor(options.callsPerBatch / 2) : -1;
    const calls: ToolCall[] = Array.from({ length: options.callsPerBatch }, (_, i) => ({
      id: `b${batch}c${i}`,
      name: 'work',
      arguments: { fail: i === failing },
    }));
    const tracker = actorTracker();
    const outcome = await runToolBatch(calls, { router, policy, concurrency: options.concurrency, timeoutMs: 60_000, inspect: tracker.inspect }).then(
      () => `${policy} resolved`,
      () => `${policy} rejected`,
    );
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    maxActorsLeft = Math.max(maxActorsLeft, tracker.live.size);
    maxChildrenLeft = Math.max(maxChildrenLeft, tracker.children());
    const [actors, children] = tracker.peaks();
    peakActors = Math.max(peakActors, actors);
    peakChildren = Math.max(peakChildren, children);
    if (options.sampleAt.includes(batch)) {
      // Let pending callbacks finish before measuring.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      gc();
      samples.push({ batch, heapUsed: process.memoryUsage().heapUsed });
    }
  }
  return { samples, maxActorsLeft, maxChildrenLeft, peakActors, peakChildren, outcomes };
}
