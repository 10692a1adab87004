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
 * - `toolBatchMachine`
 * - `ToolBatchInput`, `ToolBatchContext`, `ToolBatchEvent`, `ToolBatchEmitted`,
 *   `ToolBatchOutput`, `Slot`, `SlotStatus`
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
import { clockNow } from './clock-now.js';
import { ToolCallError } from '../src/errors.js';
import { resolveBatchOptions, assertToolCalls } from '../src/options.js';
import type { BatchOptions, JoinPolicy, SettledResult, ToolCall, ToolFailure, ToolOutput } from '../src/schemas.js';
import { createToolCallLogic, toolFailure, type ToolCallSettledEvent } from './tool-call.machine.js';

/** What the batch machine is started with. */
export interface ToolBatchInput {
  calls: ToolCall[];
  options?: BatchOptions;
}

/** Where one call is in its life. */
export type SlotStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'aborted';

/** One call's slot: its outcome lands here, at the call's index. */
export interface Slot {
  status: SlotStatus;
  /** The lane (child id suffix) while running. */
  lane?: number;
  /** Which admission queue the call waits in (per-tool limits). */
  queue: number;
  output?: ToolOutput;
  failure?: ToolFailure;
  startedAt?: number;
  settledAt?: number;
}

/** A FIFO of call indices that share one concurrency limit. */
export interface AdmissionQueue {
  /** The limited tool's name, or `null` for calls without a per-tool limit. */
  tool: string | null;
  limit: number;
  indices: number[];
  /** The next index in `indices` to admit: the queue cursor. */
  head: number;
  running: number;
}

/** The batch machine's context. Arrays here are owned by the machine and mutated in place. */
export interface ToolBatchContext {
  calls: ToolCall[];
  slots: Slot[];
  /** The running limit in effect: the `concurrency` option, or `unlimitedRunningCalls` for `Infinity`. */
  concurrency: number;
  policy: JoinPolicy;
  timeoutMs: number | undefined;
  queues: AdmissionQueue[];
  running: number;
  settled: number;
  failureCount: number;
  /** The index of the first failure in time, if any. */
  firstFailure: number | undefined;
  cancelled: boolean;
  /** Lanes whose child was reaped and whose id can be reused. */
  freeLanes: number[];
  laneCount: number;
}

/** Events the batch machine accepts. */
export type ToolBatchEvent = ToolCallSettledEvent | { type: 'batch.cancel' };

/** Progress events the batch machine emits (subscribe with `actor.on(type, fn)`). */
export type ToolBatchEmitted =
  /** `lane` is the concurrency slot (0 … concurrency−1 while every lane is busy) the call runs in: a timeline's row. */
  | { type: 'call.started'; index: number; id: string; name: string; lane: number; at: number }
  | {
      type: 'call.settled';
      index: number;
      id: string;
      name: string;
      status: 'succeeded' | 'failed' | 'aborted';
      at: number;
      failure?: ToolFailure;
    }
  | { type: 'batch.settled'; status: 'succeeded' | 'failed' | 'cancelled'; at: number };

/** The batch's result, a tagged union on `status`. */
export type ToolBatchOutput =
  | { status: 'succeeded'; outputs: ToolOutput[] }
  | { status: 'succeeded'; results: SettledResult[] }
  | { status: 'failed'; policy: JoinPolicy; failures: ToolFailure[]; outputs: Array<ToolOutput | undefined> }
  | { status: 'cancelled'; outputs: Array<ToolOutput | undefined> };

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

function buildQueues(calls: ToolCall[], perTool: Record<string, number>): { queues: AdmissionQueue[]; slots: Slot[] } {
  const queues: AdmissionQueue[] = [{ tool: null, limit: Infinity, indices: [], head: 0, running: 0 }];
  const byTool = new Map<string, number>();
  const slots: Slot[] = new Array(calls.length);
  for (let index = 0; index < calls.length; index++) {
    const name = calls[index]!.name;
    let queue = 0;
    const limit = Object.hasOwn(perTool, name) ? perTool[name]! : undefined;
    if (limit !== undefined) {
      let found = byTool.get(name);
      if (found === undefined) {
        found = queues.push({ tool: name, limit, indices: [], head: 0, running: 0 }) - 1;
        byTool.set(name, found);
      }
      queue = found;
    }
    queues[queue]!.indices.push(index);
    slots[index] = { status: 'queued', queue };
  }
  return { queues, slots };
}

/** The queue whose head is the lowest waiting index among queues under their limit. */
function nextQueue(context: ToolBatchContext): AdmissionQueue | undefined {
  let best: AdmissionQueue | undefined;
  for (const queue of context.queues) {
    if (queue.head >= queue.indices.length || queue.running >= queue.limit) continue;
    if (best === undefined || queue.indices[queue.head]! < best.indices[best.head]!) best = queue;
  }
  return best;
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
    hasFreeSlot: ({ context }) => context.running < context.concurrency && nextQueue(context) !== undefined,
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
      for (let queue = nextQueue(context); queue !== undefined && running < context.concurrency; queue = nextQueue(context)) {
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
