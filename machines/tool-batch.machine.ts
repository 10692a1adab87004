/**
 * # The batch machine: run one turn's tool calls under a limit
 *
 * ## What this module provides
 * `toolBatchMachine`: given a list of tool calls and `BatchOptions`, it runs
 * one invocation actor per call, at most `concurrency` at once (and at most
 * `perToolConcurrency[name]` per tool), first come first served, and ends in
 * `succeeded`, `failed` or `cancelled` with every result at its call's index.
 *
 * ## Exports
 * - `toolBatchMachine`, `cloneBatchSnapshot`, `unlimitedRunningCalls`, `laneId`
 * - `ToolBatchInput`, `ToolBatchContext`, `ToolBatchEvent`, `ToolBatchEmitted`,
 *   `ToolBatchOutput`, `Slot`, `SlotStatus` (defined in tool-batch.types.ts,
 *   with the admission queues in admission-queues.ts)
 *
 * ## Implementation strategy
 * - `scheduling` is an eventless step: when `hasFreeSlot`, `admitQueued` spawns
 *   invocation actors for queued calls, in index order, until no slot is free. A completion goes back to `scheduling`,
 *   so a freed slot is refilled in the same macrostep (work-conserving).
 * - Completions are the events `call.succeeded` / `call.failed` with an
 *   `index`; they fill `slots[index]`, so order never depends on timing.
 * - The three join policies are three guarded branches of `call.failed`
 *   (`isFailFast`, `isJoinAll`, `isSettleAll`), and the end of a batch is two
 *   guarded `always` branches (`joinAllHasFailures`, `allSettled`).
 * - Cost stays linear in the batch size: slots, queues and the free-lane list
 *   are mutated in place inside actions (never copied per completion), guards
 *   are O(1), and each child is reaped (`stopChild`) as soon as it settles.
 *   Child ids are the lane number (`'3'`), reused after reaping, because
 *   every spawn and stop copies the children map: reused ids keep it as small
 *   as the running count, and integer-like keys keep the copy cheap (V8
 *   copies them as an array; `lane-3` keys made 256 running calls cost
 *   about 3× more per call). Because of the in-place mutation, a
 *   snapshot must be cloned before it is transitioned twice (as graph
 *   traversal does); see `cloneBatchSnapshot`.
 * - Time (`at`, `startedAt`, `settledAt`) is read from the actor system's
 *   clock: `clock.now()` when the clock has one (`SimulatedClock`, and the
 *   clock `runToolBatch` installs), else `0`.
 *
 * ## Composition
 * The `runTool` actor is the invocation actor (machines/tool-call.machine.ts).
 * Provide real tools with
 * `toolBatchMachine.provide({ actors: { runTool: createToolRouter(tools).runTool } })`.
 * The agent loop machine invokes this machine as a child; `runToolBatch` wraps
 * it in a promise.
 *
 * ## Testing strategy
 * test/tool-batch.machine.test.ts drives the machine with deferred tools and
 * `SimulatedClock` and asserts exact peaks, orders and failure kinds.
 */
import { and, assertEvent, assign, emit, enqueueActions, setup, stopChild } from 'xstate';
import { clockNow } from './xstate-internals.js';
import { ToolCallError } from '../src/core/errors.js';
import { resolveBatchOptions, assertToolCalls } from '../src/core/options.js';
import type { ToolFailure, ToolOutput } from '../src/core/schemas.js';
import { createToolCallLogic, type ToolCallSettledEvent } from './tool-call.machine.js';
import { toolFailure } from '../src/core/failure.js';
import { buildQueues, nextQueue } from './admission-queues.js';
import type { ToolBatchInput, Slot, ToolBatchContext, ToolBatchEvent, ToolBatchEmitted, ToolBatchOutput } from './tool-batch.types.js';
export type * from './tool-batch.types.js';

/** The default tool runner fails every call: tools must be provided. */
const noToolsProvided = createToolCallLogic((call) => {
  throw new ToolCallError('unknownTool', `No tools were provided, so there is no tool named "${call.name}"`);
});

/**
 * How many calls run at once under `concurrency: Infinity`. Every spawn and
 * every stop makes XState copy the parent's map of children, so a batch that
 * ran all of its K calls at once would cost O(K²): 8,000 calls took 25 s.
 * With this ceiling a 100,000-call batch stays linear, and any batch a model
 * asks for in one turn (dozens of calls) still starts all at once. An explicit
 * `concurrency`, larger or not, is used as given.
 */
export const unlimitedRunningCalls = 256;

/** The child id of a lane: its number, reused per lane (see the module header). */
export function laneId(lane: number): string {
  return String(lane);
}

function isLiveCompletion(context: ToolBatchContext, event: ToolBatchEvent): boolean {
  if (event.type !== 'call.succeeded' && event.type !== 'call.failed') return false;
  return context.slots[event.index]?.status === 'running';
}

/** Frees the lane and the queue place of a slot that stopped running. */
function release(context: ToolBatchContext, slot: Slot): void {
  context.queues[slot.queue]!.running--;
  context.freeLanes.push(slot.lane!);
}

/** Records a completion in its slot, in place, and frees the slot's lane and queue place. */
function settleSlot(context: ToolBatchContext, event: ToolCallSettledEvent, at: number): void {
  const slot = context.slots[event.index]!;
  if (event.type === 'call.succeeded') {
    slot.status = 'succeeded';
    slot.output = event.output;
  } else {
    slot.status = 'failed';
    slot.failure = event.failure;
  }
  slot.settledAt = at;
  release(context, slot);
}

function buildOutput(context: ToolBatchContext): ToolBatchOutput {
  const outputs = context.slots.map((slot) => slot.output);
  if (context.cancelled) return { status: 'cancelled', outputs };
  if (context.policy === 'settleAll') {
    return {
      status: 'succeeded',
      results: context.slots.map((slot) =>
        slot.output ? { ok: true as const, output: slot.output } : { ok: false as const, failure: slot.failure! },
      ),
    };
  }
  if (context.failureCount === 0) return { status: 'succeeded', outputs: outputs as ToolOutput[] };
  const failures: ToolFailure[] = [];
  for (const slot of context.slots) if (slot.failure) failures.push(slot.failure);
  if (context.policy === 'failFast' && context.firstFailure !== undefined) {
    // failFast: the failure that ended the batch comes first, then the calls it aborted; joinAll keeps index order.
    const cause = context.slots[context.firstFailure]!.failure!;
    failures.splice(failures.indexOf(cause), 1);
    failures.unshift(cause);
  }
  return { status: 'failed', policy: context.policy, failures, outputs };
}

/**
 * The batch statechart. Provide tools as its `runTool` actor.
 *
 * @example
 * ```ts
 * import { createActor, toPromise } from 'xstate';
 * const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([add]).runTool } });
 * const actor = createActor(machine, { input: { calls, options: { concurrency: 4 } } }).start();
 * const output = await toPromise(actor);
 * ```
 */
export const toolBatchMachine = setup({
  types: {
    input: {} as ToolBatchInput,
    context: {} as ToolBatchContext,
    events: {} as ToolBatchEvent,
    emitted: {} as ToolBatchEmitted,
    output: {} as ToolBatchOutput,
  },
  actors: { runTool: noToolsProvided },
  guards: {
    hasFreeSlot: ({ context }) => context.running < context.concurrency && nextQueue(context.queues) !== undefined,
    allSettled: ({ context }) => context.settled === context.slots.length,
    hasFailures: ({ context }) => context.failureCount > 0,
    isLiveCompletion: ({ context, event }) => isLiveCompletion(context, event),
    isFailFast: ({ context }) => context.policy === 'failFast',
    isJoinAll: ({ context }) => context.policy === 'joinAll',
    isSettleAll: ({ context }) => context.policy === 'settleAll',
  },
  actions: {
    admitQueued: enqueueActions(({ context, enqueue, self }) => {
      const at = clockNow(self.system);
      let { running, laneCount } = context;
      for (let queue = nextQueue(context.queues); queue !== undefined && running < context.concurrency; queue = nextQueue(context.queues)) {
        const index = queue.indices[queue.head++]!;
        queue.running++;
        running++;
        const lane = context.freeLanes.length > 0 ? context.freeLanes.pop()! : laneCount++;
        const slot = context.slots[index]!;
        const call = context.calls[index]!;
        // In place: copying the slots per admission would make a batch O(K²).
        slot.status = 'running';
        slot.lane = lane;
        slot.startedAt = at;
        enqueue.spawnChild('runTool', { id: laneId(lane), input: { index, call, timeoutMs: context.timeoutMs } });
        enqueue.emit({ type: 'call.started', index, id: call.id, name: call.name, lane, at });
      }
      enqueue.assign({ running, laneCount });
    }),
    reapChild: stopChild(({ context, event }) => {
      assertEvent(event, ['call.succeeded', 'call.failed']);
      return laneId(context.slots[event.index]!.lane!);
    }),
    fillSlot: assign(({ context, event, self }) => {
      assertEvent(event, 'call.succeeded');
      settleSlot(context, event, clockNow(self.system));
      return { running: context.running - 1, settled: context.settled + 1 };
    }),
    recordFailure: assign(({ context, event, self }) => {
      assertEvent(event, 'call.failed');
      settleSlot(context, event, clockNow(self.system));
      return {
        running: context.running - 1,
        settled: context.settled + 1,
        failureCount: context.failureCount + 1,
        firstFailure: context.firstFailure ?? event.index,
      };
    }),
    emitCallSettled: emit(({ context, event, self }) => {
      assertEvent(event, ['call.succeeded', 'call.failed']);
      const call = context.calls[event.index]!;
      const slot = context.slots[event.index]!;
      return {
        type: 'call.settled' as const,
        index: event.index,
        id: call.id,
        name: call.name,
        status: slot.status as 'succeeded' | 'failed',
        at: slot.settledAt ?? clockNow(self.system),
        ...(slot.failure ? { failure: slot.failure } : {}),
      };
    }),
    abortRunning: enqueueActions(({ context, enqueue, self }) => {
      const at = clockNow(self.system);
      let aborted = 0;
      context.slots.forEach((slot, index) => {
        if (slot.status !== 'running') return;
        const call = context.calls[index]!;
        slot.status = 'aborted';
        slot.failure = toolFailure(index, call, 'aborted', 'aborted before it settled: the batch ended', undefined);
        slot.settledAt = at;
        release(context, slot);
        aborted++;
        enqueue.stopChild(laneId(slot.lane!));
        enqueue.emit({ type: 'call.settled', index, id: call.id, name: call.name, status: 'aborted', at, failure: slot.failure });
      });
      enqueue.assign({ running: context.running - aborted, settled: context.settled + aborted });
    }),
    markCancelled: assign({ cancelled: true }),
    emitSucceeded: emit(({ self }) => ({ type: 'batch.settled' as const, status: 'succeeded' as const, at: clockNow(self.system) })),
    emitFailed: emit(({ self }) => ({ type: 'batch.settled' as const, status: 'failed' as const, at: clockNow(self.system) })),
    emitCancelled: emit(({ self }) => ({ type: 'batch.settled' as const, status: 'cancelled' as const, at: clockNow(self.system) })),
  },
}).createMachine({
  id: 'toolBatch',
  description: 'Runs one turn of tool calls under a concurrency limit and joins them by policy.',
  context: ({ input }) => {
    assertToolCalls(input.calls);
    const options = resolveBatchOptions(input.options);
    const { queues, slots } = buildQueues(input.calls, options.perToolConcurrency);
    return {
      // A copy: the caller may reuse its array (a message buffer) while the batch runs.
      calls: input.calls.slice(),
      slots,
      concurrency: options.concurrency === Infinity ? unlimitedRunningCalls : options.concurrency,
      policy: options.policy,
      timeoutMs: options.timeoutMs,
      queues,
      running: 0,
      settled: 0,
      failureCount: 0,
      firstFailure: undefined,
      cancelled: false,
      freeLanes: [],
      laneCount: 0,
    };
  },
  initial: 'scheduling',
  states: {
    scheduling: {
      description:
        'Eventless step: admits queued calls in index order while a slot is free, then ends the batch or waits.',
      always: [
        { guard: and(['isJoinAll', 'allSettled', 'hasFailures']), target: 'failed' },
        { guard: 'allSettled', target: 'succeeded' },
        { guard: 'hasFreeSlot', target: 'running', actions: 'admitQueued' },
        { target: 'running' },
      ],
    },
    running: {
      description: 'Waits for invocation actors to report; each report fills the slot at its index.',
      on: {
        'call.succeeded': {
          guard: 'isLiveCompletion',
          target: 'scheduling',
          actions: ['reapChild', 'fillSlot', 'emitCallSettled'],
        },
        'call.failed': [
          {
            guard: and(['isLiveCompletion', 'isFailFast']),
            target: 'failed',
            actions: ['reapChild', 'recordFailure', 'emitCallSettled', 'abortRunning'],
          },
          {
            guard: and(['isLiveCompletion', 'isJoinAll']),
            target: 'scheduling',
            actions: ['reapChild', 'recordFailure', 'emitCallSettled'],
          },
          {
            guard: and(['isLiveCompletion', 'isSettleAll']),
            target: 'scheduling',
            actions: ['reapChild', 'recordFailure', 'emitCallSettled'],
          },
        ],
        'batch.cancel': { target: 'cancelled', actions: ['markCancelled', 'abortRunning'] },
      },
    },
    succeeded: {
      type: 'final',
      description: 'Every call settled; under settleAll this holds per-call results, failures included.',
      entry: 'emitSucceeded',
    },
    failed: {
      type: 'final',
      description: 'failFast: the first failure, with running calls aborted. joinAll: every call settled, some failed.',
      entry: 'emitFailed',
    },
    cancelled: {
      type: 'final',
      description: 'batch.cancel arrived: running calls were aborted and queued calls never started.',
      entry: 'emitCancelled',
    },
  },
  output: ({ context }) => buildOutput(context),
});

/**
 * A copy of a batch snapshot whose mutable context can be transitioned without
 * touching the original. Graph traversal and model-based tests transition one
 * snapshot with several events, which in-place mutation would corrupt.
 *
 * @example
 * ```ts
 * const next = toolBatchMachine.transition(cloneBatchSnapshot(snapshot), event, scope);
 * ```
 */
export function cloneBatchSnapshot<T extends { context: ToolBatchContext }>(snapshot: T): T {
  const { context } = snapshot;
  const copy: ToolBatchContext = {
    ...context,
    slots: context.slots.map((slot) => ({ ...slot })),
    queues: context.queues.map((queue) => ({ ...queue })),
    freeLanes: [...context.freeLanes],
  };
  return Object.assign(Object.create(Object.getPrototypeOf(snapshot) as object) as T, snapshot, { context: copy });
}
