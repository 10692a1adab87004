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
 * - `toolBatchMachine`, `unlimitedRunningCalls`
 * - `ToolBatchInput`, `ToolBatchContext`, `ToolBatchEvent`, `ToolBatchEmitted`,
 *   `ToolBatchOutput` (defined in tool-batch.types.ts)
 *
 * ## Implementation strategy
 * - **Context is a value.** No action edits context or anything a snapshot
 *   reaches. A step copies what it changes and shares the rest: the lanes
 *   (an array of length N), the admission queues (one small object per
 *   limit, whose index lists are built once and shared), and counters; each
 *   settlement is appended to a chunked log (settlement-log.ts) that copies
 *   at most a chunk. So a snapshot, a persisted snapshot, graph traversal and
 *   the inspector all see values that never change, at a cost linear in K.
 * - **One step per completion.** `call.succeeded` / `call.failed` are handled
 *   in `running` by guarded branches, final states first: a late completion
 *   (its call no longer runs) is ignored by the first branch; the last
 *   settlement goes to `succeeded` or `failed`; a failure under failFast goes
 *   to `failed`; any other completion stays in `running`. One action,
 *   `settleCall`, reaps the child, records the settlement, emits `call.settled`
 *   and admits the next queued calls in the same step.
 * - **Admission** is FIFO by index across the admission queues, skipping calls
 *   whose tool is at its limit. A call runs on the lowest free lane, and its
 *   child's id is the lane number (`'3'`), reused after reaping: every spawn
 *   and stop copies the children map, which stays as small as the running
 *   count, and integer-like keys keep that copy cheap. The child's input
 *   carries the call, so the inspector shows which call (id and tool name)
 *   each child runs.
 * - **Time** (`at`) counts from the batch's start on the actor system's clock
 *   (`SimulatedClock` in tests), or the wall clock when the system has none.
 * - **Embedding**: with `notifyParent`, each progress event is also sent to
 *   the parent, so an invoking machine sees every one from the first admission.
 * - **Persistence**: every field survives JSON (`Infinity` is stored as a
 *   finite limit or `null`). Restored, settled slots stay settled, children
 *   that were running run their call again (at-least-once), queued calls start.
 *
 * ## Composition
 * The `runTool` actor is the invocation actor (machines/tool-call.machine.ts).
 * Provide real tools with
 * `toolBatchMachine.provide({ actors: { runTool: createToolRouter(tools).runTool } })`.
 * The agent loop machine invokes this machine as a child; `runToolBatch` wraps
 * it in a promise.
 *
 * ## Testing strategy
 * test/machines/tool-batch.machine.test.ts drives it with deferred tools and
 * `SimulatedClock` and asserts exact peaks, orders and failure kinds;
 * test/machines/tool-batch.paths.test.ts walks every interleaving of small
 * batches with `getBatchPaths` (./testing) on the machine as exported.
 */
import { and, assertEvent, assign, enqueueActions, not, setup, type EventObject } from 'xstate';
import { ToolCallError } from '../src/core/errors.js';
import { assertToolCalls, resolveBatchOptions } from '../src/core/options.js';
import type { ToolFailure, ToolOutput } from '../src/core/schemas.js';
import { toolFailure } from '../src/core/failure.js';
import { buildQueues, nextQueue } from './admission-queues.js';
import { appendSettlements, emptyLog, settlementsBySlot, type Settlement } from './settlement-log.js';
import { createToolCallLogic, maxTimeoutMs, type ToolCallInput } from './tool-call.machine.js';
import type { ToolBatchContext, ToolBatchEmitted, ToolBatchEvent, ToolBatchInput, ToolBatchOutput } from './tool-batch.types.js';
import { clockNow } from './xstate-internals.js';
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

const abortMessage = 'aborted before it settled: the batch ended';

/** The part of `enqueueActions`' `enqueue` that the helpers below use. */
interface Enqueue {
  emit(event: ToolBatchEmitted): void;
  sendParent(event: EventObject): void;
  spawnChild(src: 'runTool', options: { id: string; input: ToolCallInput }): void;
}

/** Emits a progress event, and sends it to the parent too under `notifyParent`. */
function announce(context: ToolBatchContext, enqueue: Enqueue, event: ToolBatchEmitted): void {
  enqueue.emit(event);
  if (context.notifyParent) enqueue.sendParent(event);
}

/** The lane the call at `index` runs on, or `-1` when it does not run (a late report). */
function laneOf(context: ToolBatchContext, index: number): number {
  return context.lanes.indexOf(index);
}

function isLive(context: ToolBatchContext, event: ToolBatchEvent): boolean {
  return event.type !== 'batch.cancel' && laneOf(context, event.index) !== -1;
}

/** What admitting calls changes: the lanes, the queues and the running count, as fresh copies. */
interface Admitted {
  lanes: (number | null)[];
  queues: ToolBatchContext['queues'][number][];
  running: number;
}

/**
 * Admits queued calls while a lane is free, FIFO by index: spawns their
 * children and announces `call.started`. Works on the fresh copies in `next`.
 */
function admit(context: ToolBatchContext, next: Admitted, enqueue: Enqueue, at: number): void {
  for (let q = nextQueue(next.queues); q !== -1 && next.running < context.concurrency; q = nextQueue(next.queues)) {
    const queue = next.queues[q]!;
    const index = queue.indices[queue.head]!;
    next.queues[q] = { ...queue, head: queue.head + 1, running: queue.running + 1 };
    let lane = next.lanes.indexOf(null);
    if (lane === -1) lane = next.lanes.push(null) - 1;
    next.lanes[lane] = index;
    next.running++;
    const call = context.calls[index]!;
    const input: ToolCallInput = { index, call, timeoutMs: context.timeoutMs };
    if (context.runId !== null) input.idempotencyKey = `${context.runId}:${call.id}`;
    enqueue.spawnChild('runTool', { id: String(lane), input });
    announce(context, enqueue, { type: 'call.started', index, id: call.id, name: call.name, lane, at });
  }
}

/** Frees the lane and the queue place of the call at `index`, in the fresh copies. */
function release(context: ToolBatchContext, next: Admitted, index: number, lane: number): void {
  next.lanes[lane] = null;
  next.running--;
  const q = context.queueOfTool[context.calls[index]!.name] ?? 0;
  const queue = next.queues[q]!;
  next.queues[q] = { ...queue, running: queue.running - 1 };
}

function buildOutput(context: ToolBatchContext): ToolBatchOutput {
  const bySlot = settlementsBySlot(context.settlements, context.calls.length);
  const outputs = bySlot.map((s) => (s?.status === 'succeeded' ? s.output : undefined));
  if (context.cancelled) return { status: 'cancelled', outputs };
  if (context.policy === 'settleAll') {
    return {
      status: 'succeeded',
      results: bySlot.map((s) => (s!.status === 'succeeded' ? { ok: true as const, output: s!.output } : { ok: false as const, failure: s!.failure })),
    };
  }
  if (context.failureCount === 0) return { status: 'succeeded', outputs: outputs as ToolOutput[] };
  const failures: ToolFailure[] = [];
  for (const s of bySlot) if (s !== undefined && s.status !== 'succeeded') failures.push(s.failure);
  if (context.policy === 'failFast' && context.firstFailure !== null) {
    // failFast: the failure that ended the batch comes first, then the calls it aborted; joinAll keeps index order.
    const at = failures.findIndex((failure) => failure.index === context.firstFailure);
    failures.unshift(...failures.splice(at, 1));
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
    isEmpty: ({ context }) => context.calls.length === 0,
    isLateCompletion: ({ context, event }) => !isLive(context, event),
    isLastToSettle: ({ context }) => context.settled + 1 === context.calls.length,
    hasEarlierFailures: ({ context }) => context.failureCount > 0,
    isFailFast: ({ context }) => context.policy === 'failFast',
    isJoinAll: ({ context }) => context.policy === 'joinAll',
    isSettleAll: ({ context }) => context.policy === 'settleAll',
  },
  actions: {
    admitQueued: enqueueActions(({ context, enqueue, self }) => {
      const next: Admitted = { lanes: context.lanes.slice(), queues: context.queues.slice(), running: context.running };
      admit(context, next, enqueue as unknown as Enqueue, clockNow(self.system) - context.origin);
      enqueue.assign({ lanes: next.lanes, queues: next.queues, running: next.running });
    }),
    settleCall: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, ['call.succeeded', 'call.failed']);
      const { index } = event;
      const lane = laneOf(context, index);
      const at = clockNow(self.system) - context.origin;
      const call = context.calls[index]!;
      const next: Admitted = { lanes: context.lanes.slice(), queues: context.queues.slice(), running: context.running };
      // Reap first: the lane's id is free for the call admitted below, in this same step.
      enqueue.stopChild(String(lane));
      release(context, next, index, lane);
      const failed = event.type === 'call.failed';
      const settlement: Settlement = failed
        ? { index, status: 'failed', failure: event.failure }
        : { index, status: 'succeeded', output: event.output };
      announce(context, enqueue as unknown as Enqueue, {
        type: 'call.settled',
        index,
        id: call.id,
        name: call.name,
        status: failed ? 'failed' : 'succeeded',
        at,
        ...(failed ? { failure: event.failure } : {}),
      });
      // Under failFast a failure ends the batch: nothing more starts.
      if (!(failed && context.policy === 'failFast')) admit(context, next, enqueue as unknown as Enqueue, at);
      enqueue.assign({
        lanes: next.lanes,
        queues: next.queues,
        running: next.running,
        settled: context.settled + 1,
        failureCount: context.failureCount + (failed ? 1 : 0),
        firstFailure: failed && context.firstFailure === null ? index : context.firstFailure,
        settlements: appendSettlements(context.settlements, [settlement]),
      });
    }),
    forwardProgress: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, 'call.progress');
      const call = context.calls[event.index]!;
      const progress: ToolBatchEmitted = { type: 'call.progress', index: event.index, id: call.id, name: call.name, progress: event.progress, at: clockNow(self.system) - context.origin };
      if (event.total !== undefined) progress.total = event.total;
      if (event.message !== undefined) progress.message = event.message;
      announce(context, enqueue as unknown as Enqueue, progress);
    }),
    abortRunning: enqueueActions(({ context, event, enqueue, self }) => {
      const at = clockNow(self.system) - context.origin;
      const aborted: Settlement[] = [];
      // The completion that triggered failFast was already settled by `settleCall`, whose assign
      // is not visible here yet: skip its lane.
      const skip = event.type === 'call.failed' ? event.index : -1;
      context.lanes.forEach((index, lane) => {
        if (index === null || index === skip) return;
        const call = context.calls[index]!;
        const failure = toolFailure(index, call, 'aborted', abortMessage, undefined);
        aborted.push({ index, status: 'aborted', failure });
        enqueue.stopChild(String(lane));
        announce(context, enqueue as unknown as Enqueue, { type: 'call.settled', index, id: call.id, name: call.name, status: 'aborted', at, failure });
      });
      enqueue.assign(({ context: now }) => ({
        lanes: now.lanes.map(() => null),
        running: 0,
        queues: now.queues.map((queue) => (queue.running === 0 ? queue : { ...queue, running: 0 })),
        settled: now.settled + aborted.length,
        settlements: appendSettlements(now.settlements, aborted),
      }));
    }),
    markCancelled: assign({ cancelled: true }),
    announceBatchSettled: enqueueActions(({ context, enqueue, self }, params: { status: 'succeeded' | 'failed' | 'cancelled' }) => {
      announce(context, enqueue as unknown as Enqueue, { type: 'batch.settled', status: params.status, at: clockNow(self.system) - context.origin });
    }),
  },
}).createMachine({
  id: 'toolBatch',
  description: 'Runs one turn of tool calls under a concurrency limit and joins them by policy.',
  context: ({ input, self }) => {
    assertToolCalls(input.calls);
    const options = resolveBatchOptions(input.options);
    const concurrency = options.concurrency === Infinity ? unlimitedRunningCalls : options.concurrency;
    const { queues, queueOfTool } = buildQueues(input.calls, options.perToolConcurrency, concurrency);
    const timeoutMs = options.timeoutMs !== undefined && options.timeoutMs <= maxTimeoutMs ? options.timeoutMs : null;
    return {
      // A copy: the caller may reuse its array (a message buffer) while the batch runs.
      calls: input.calls.slice(),
      policy: options.policy,
      concurrency,
      timeoutMs,
      notifyParent: input.notifyParent === true,
      runId: typeof input.runId === 'string' ? input.runId : null,
      origin: clockNow(self.system),
      queues,
      queueOfTool,
      lanes: [],
      running: 0,
      settled: 0,
      failureCount: 0,
      firstFailure: null,
      cancelled: false,
      settlements: emptyLog,
    };
  },
  initial: 'starting',
  states: {
    starting: {
      description: 'Admits the first calls, in index order, up to the limits; an empty batch succeeds at once.',
      always: [{ guard: 'isEmpty', target: 'succeeded' }, { target: 'running', actions: 'admitQueued' }],
    },
    running: {
      description: 'Waits for invocation actors to report. Each report settles the slot at its index and admits the next queued call, in one step.',
      on: {
        'call.succeeded': [
          { guard: 'isLateCompletion', description: 'Its call no longer runs (the batch aborted it): ignored.' },
          { guard: and(['isJoinAll', 'isLastToSettle', 'hasEarlierFailures']), target: 'failed', actions: 'settleCall' },
          { guard: 'isLastToSettle', target: 'succeeded', actions: 'settleCall' },
          { actions: 'settleCall' },
        ],
        'call.failed': [
          { guard: 'isLateCompletion', description: 'Its call no longer runs (the batch aborted it): ignored.' },
          { guard: 'isFailFast', target: 'failed', actions: ['settleCall', 'abortRunning'] },
          { guard: and(['isJoinAll', 'isLastToSettle']), target: 'failed', actions: 'settleCall' },
          { guard: 'isJoinAll', actions: 'settleCall' },
          { guard: and(['isSettleAll', 'isLastToSettle']), target: 'succeeded', actions: 'settleCall' },
          { guard: 'isSettleAll', actions: 'settleCall' },
        ],
        'call.progress': { guard: not('isLateCompletion'), actions: 'forwardProgress' },
        'batch.cancel': { target: 'cancelled', actions: ['markCancelled', 'abortRunning'] },
      },
    },
    succeeded: {
      type: 'final',
      description: 'Every call settled; under settleAll this holds per-call results, failures included.',
      entry: { type: 'announceBatchSettled', params: { status: 'succeeded' } },
    },
    failed: {
      type: 'final',
      description: 'failFast: the first failure, with running calls aborted. joinAll: every call settled, some failed.',
      entry: { type: 'announceBatchSettled', params: { status: 'failed' } },
    },
    cancelled: {
      type: 'final',
      description: 'batch.cancel arrived: running calls were aborted and queued calls never started.',
      entry: { type: 'announceBatchSettled', params: { status: 'cancelled' } },
    },
  },
  output: ({ context }) => buildOutput(context),
});
