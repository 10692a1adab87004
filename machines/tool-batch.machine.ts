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
 *   to `failed`; any other completion stays in `running`. `reapChild` stops
 *   the child, and `settleCall` records the settlement and spawns the next
 *   queued call on the freed lane, in the same step.
 * - **Cancelling one call** (`call.cancel { id, reason? }`) is the user's
 *   choice, not the tool's failure. `cancelCall` settles the call once with
 *   status and kind `cancelled` (the reason in its message): a running call's
 *   actor gets `call.cancel` (its signal aborts with an `AbortError` whose
 *   message carries the reason) and is stopped, and the next queued call takes
 *   the freed lane in the same step; an approval gate or a retry timer is
 *   stopped; a queued call is withdrawn (admission skips it). It never ends a
 *   batch early, failFast included, and never counts as the failure that ends
 *   a failFast batch. Policies: under settleAll the slot is
 *   `{ ok: false, failure: { kind: 'cancelled' } }` and the batch succeeds;
 *   under joinAll and failFast the batch ends `failed` once every call
 *   settled, with the cancelled calls among `failures` and every success in
 *   `outputs` (`succeeded` promises every output). A cancel that names no
 *   call, a settled call or a cancelled one changes nothing and emits
 *   `call.cancelIgnored { id, why }` (`announceIgnoredCancel`); it never throws.
 * - **Announcing.** Every step that changes a slot ends with `announceStep`,
 *   a plain action that derives what to announce from the event and the
 *   context the step left (`admitted`, the settlement log's tail), and builds
 *   those events only when a listener or the parent would receive them. XState
 *   executes the first step's actions at `start()`, after a root's listeners
 *   are attached, so the first admissions are announced too. The events go out
 *   after the step commits, as XState's own `emit` does (`publish`).
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
 * - **Partials**: a streaming tool's `call.partial` is announced with the
 *   call's id, name and `at`; the first of an attempt marks the slot
 *   `streaming` (`markStreaming`, undone when the call leaves its lane), and
 *   one from a call that no longer runs is ignored by an explicit branch.
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
import { and, assertEvent, assign, enqueueActions, not, raise, setup, stopChild, type AnyActorRef, type EventObject } from 'xstate';
import { ToolCallError } from '../src/core/errors.js';
import { assertToolBatchInput, resolveBatchOptions } from '../src/core/options.js';
import type { ToolFailure, ToolOutput } from '../src/core/schemas.js';
import { toolFailure } from '../src/core/failure.js';
import { describeError } from '../src/core/describe.js';
import { buildQueues, queueWith } from './admission-queues.js';
import { retryTimer } from './retry-timer.js';
import { approvalGate } from './approval-gate.js';
import { addReady, cancelTargetOf, draftOf, findById, invocationInput, occupy, release, takeNext, withdraw, type Draft } from './tool-batch.steps.js';
import { appendSettlements, emptyLog, lastSettlements, settlementsBySlot, trailingAborted, type Settlement } from './settlement-log.js';
import { createToolCallLogic, maxTimeoutMs, type ToolCallInput } from './tool-call.machine.js';
import type { ToolBatchContext, ToolBatchEmitted, ToolBatchEvent, ToolBatchInput, ToolBatchOutput } from './tool-batch.types.js';
import { clockNow, isListened, parentOf, relay, scopeOf } from './xstate-internals.js';
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

/** Written out per step kind so that the rare `call.cancel` message reads like a denial's. */
function cancellation(context: ToolBatchContext, index: number, reason: string | undefined): ToolFailure {
  const message = reason === undefined || reason === '' ? 'the call was cancelled' : `the call was cancelled: ${reason}`;
  return toolFailure(index, context.config.calls[index]!, 'cancelled', message, undefined);
}

/** The events `settleCall` settles a call on. */
const settlingEvents = ['call.succeeded', 'call.failed', 'call.deny'] as const;

/** Calls admitted by a step that admitted none: one shared empty list. */
const noneAdmitted: readonly number[] = Object.freeze([]);

/**
 * Announces progress events once the step is committed: emits each to the
 * batch's listeners and, under `notifyParent`, sends it to the parent, in
 * order. Called while XState executes a step's actions, never while it
 * resolves them (graph traversal resolves without executing).
 */
function publish(self: AnyActorRef, context: ToolBatchContext, events: readonly ToolBatchEmitted[]): void {
  if (events.length === 0) return;
  const scope = scopeOf(self);
  const parent = context.config.notifyParent ? parentOf(self) : undefined;
  scope.defer(() => {
    for (const event of events) {
      scope.emit(event);
      if (parent !== undefined) relay(self.system, self, parent, event);
    }
  });
}

/** Whether a step's progress events would reach anyone: a listener of one of these types, or the parent. */
function isHeard(self: AnyActorRef, context: ToolBatchContext, types: readonly ToolBatchEmitted['type'][]): boolean {
  return context.config.notifyParent || isListened(self, types);
}

/** `call.started` for each call in `admitted`, on the lane it runs on. */
function startedEvents(context: ToolBatchContext, admitted: readonly number[], at: number, into: ToolBatchEmitted[]): void {
  for (const index of admitted) {
    const call = context.config.calls[index]!;
    into.push({ type: 'call.started', index, id: call.id, name: call.name, lane: laneOf(context, index), at });
  }
}

/** `call.settled` for a settlement. */
function settledEvent(context: ToolBatchContext, settlement: Settlement, at: number): ToolBatchEmitted {
  const call = context.config.calls[settlement.index]!;
  const event: ToolBatchEmitted = { type: 'call.settled', index: settlement.index, id: call.id, name: call.name, status: settlement.status, at };
  if (settlement.status !== 'succeeded') event.failure = settlement.failure;
  return event;
}

/** Milliseconds since the batch started, on the actor system's clock. */
function sinceStart(context: ToolBatchContext, self: AnyActorRef): number {
  return clockNow(self.system) - context.config.origin;
}

/** The event types a step of this kind announces: `isHeard` builds them only when one of these would reach someone. */
const typesOfStep = {
  settle: ['call.settled', 'call.started'],
  admit: ['call.started'],
  approval: ['call.approvalRequested', 'call.started'],
  reannounce: ['call.approvalRequested'],
  retry: ['call.retrying', 'call.started'],
  progress: ['call.progress'],
  partial: ['call.partial'],
  abort: ['call.settled'],
  ignored: ['call.cancelIgnored'],
} as const satisfies Record<string, readonly ToolBatchEmitted['type'][]>;

/**
 * What a step announces, from the event it handled and the context its other
 * actions left: the calls it settled (a completion or denial, then any it
 * aborted), the call it holds for approval or backs off, a tool's progress,
 * then the calls it started. `undefined` when nobody would hear them.
 */
function stepEvents(context: ToolBatchContext, event: ToolBatchEvent | EventObject, self: AnyActorRef): ToolBatchEmitted[] | undefined {
  const e = event as ToolBatchEvent;
  const kind =
    e.type === 'call.succeeded' || e.type === 'call.deny' || e.type === 'call.cancel' || (e.type === 'call.failed' && e.retryInMs === undefined)
      ? 'settle'
      : e.type === 'call.failed'
        ? 'retry'
        : e.type === 'call.approvalRequested'
          ? 'approval'
          : e.type === 'call.awaitingApproval'
            ? 'reannounce'
          : e.type === 'call.progress'
            ? 'progress'
          : e.type === 'call.partial'
            ? 'partial'
            : e.type === 'batch.cancel'
              ? 'abort'
              : 'admit';
  if (!isHeard(self, context, typesOfStep[kind])) return undefined;
  const at = sinceStart(context, self);
  const events: ToolBatchEmitted[] = [];
  if (kind === 'settle' || kind === 'abort') {
    // The completion or denial (none for a cancel), then the calls `abortRunning` aborted after it.
    for (const settlement of lastSettlements(context.settlements, (kind === 'settle' ? 1 : 0) + trailingAborted(context.settlements))) {
      events.push(settledEvent(context, settlement, at));
    }
  } else if (e.type === 'call.failed') {
    const call = context.config.calls[e.index]!;
    events.push({ type: 'call.retrying', index: e.index, id: call.id, name: call.name, attempt: context.attempts[e.index]!, delayMs: e.retryInMs!, failure: e.failure, at });
  } else if (e.type === 'call.approvalRequested' || e.type === 'call.awaitingApproval') {
    const call = context.config.calls[e.index]!;
    events.push({ type: 'call.approvalRequested', index: e.index, id: call.id, name: call.name, arguments: e.arguments, at });
  } else if (e.type === 'call.progress') {
    const call = context.config.calls[e.index]!;
    const progress: ToolBatchEmitted = { type: 'call.progress', index: e.index, id: call.id, name: call.name, progress: e.progress, at };
    if (e.total !== undefined) progress.total = e.total;
    if (e.message !== undefined) progress.message = e.message;
    events.push(progress);
  } else if (e.type === 'call.partial') {
    const call = context.config.calls[e.index]!;
    events.push({ type: 'call.partial', index: e.index, id: call.id, name: call.name, value: e.value, at });
  }
  // A progress report, a partial or a restored gate's reminder started nothing: `admitted` is an earlier step's.
  if (kind !== 'progress' && kind !== 'partial' && kind !== 'reannounce') startedEvents(context, context.admitted, at, events);
  return events;
}

/** The lane the call at `index` runs on, or `-1` when it does not run (a late report). */
function laneOf(context: ToolBatchContext, index: number): number {
  return context.lanes.indexOf(index);
}

/**
 * The lane of a running call whose invocation actor ended by itself (done or
 * error) without reporting, or `-1`. Lane `k`'s child has id `'k'`; a retry
 * timer's (`retry:3`) is no lane.
 */
function silentLaneOf(context: ToolBatchContext, event: EventObject): number {
  const { actorId } = event as { actorId?: unknown };
  if (typeof actorId !== 'string' || !/^\d+$/.test(actorId)) return -1;
  const lane = Number(actorId);
  return lane < context.lanes.length && context.lanes[lane] !== null ? lane : -1;
}

function isLive(context: ToolBatchContext, event: ToolBatchEvent): boolean {
  return 'index' in event && laneOf(context, event.index) !== -1;
}

/**
 * Admits calls while a lane is free, FIFO by index (ready calls first, then
 * the queues), and starts each one's invocation actor on its lane with
 * `start` (`spawn` inside `assign`, or `enqueue.spawnChild`). Works on the
 * draft.
 *
 * @returns the admitted calls, in the order they started.
 */
function admit(context: ToolBatchContext, draft: Draft, start: (id: string, input: ToolCallInput) => void): readonly number[] {
  let admitted: number[] | undefined;
  for (let index = takeNext(context, draft); index !== -1; index = takeNext(context, draft)) {
    const lane = occupy(context, draft, index);
    start(String(lane), invocationInput(context, index));
    (admitted ??= []).push(index);
  }
  return admitted ?? noneAdmitted;
}

/** What a step assigns: some of the context's fields. */
type ContextUpdate = { -readonly [K in keyof ToolBatchContext]?: ToolBatchContext[K] };

/**
 * The context fields a draft replaces, as an update the step adds its other
 * fields to.
 */
function fromDraft(draft: Draft): ContextUpdate {
  const update: ContextUpdate = { lanes: draft.lanes, queues: draft.queues, running: draft.running, ready: draft.ready };
  if (draft.streaming !== undefined) update.streaming = draft.streaming;
  return update;
}

/** Admits what the draft has room for (`admit`), and returns the step's update: the draft's fields and `admitted`. */
function admitInto(context: ToolBatchContext, draft: Draft, start: (id: string, input: ToolCallInput) => void): ContextUpdate {
  const admitted = admit(context, draft, start);
  return { ...fromDraft(draft), admitted };
}

/** The part of `enqueueActions`' `enqueue` that the rare steps use. */
interface Enqueue {
  stopChild(id: string): void;
  spawnChild(src: 'runTool', options: { id: string; input: ToolCallInput }): void;
}

/** Starts an admitted call's invocation actor from an `enqueueActions` step. */
function spawnerOf(enqueue: Enqueue): (id: string, input: ToolCallInput) => void {
  return (id, input) => enqueue.spawnChild('runTool', { id, input });
}

/** Stops the invocation actor of call `index` and frees its lane and queue place in the draft: the call waits without one. */
function vacate(context: ToolBatchContext, draft: Draft, enqueue: Enqueue, index: number): void {
  const lane = laneOf(context, index);
  enqueue.stopChild(String(lane));
  release(context, draft, index, lane);
}

/** The index of the awaiting call an approval event names, or `-1`. */
function awaitingOf(context: ToolBatchContext, event: ToolBatchEvent): number {
  return event.type === 'call.approve' || event.type === 'call.deny' ? findById(context, context.awaiting, event.id) : -1;
}

/** The child id of the approval gate of call `index`. */
function gateOf(index: number): string {
  return `approval:${index}`;
}

/** The failure a denial settles with. */
function denial(context: ToolBatchContext, index: number, reason: string | undefined): ToolFailure {
  const message = reason === undefined || reason === '' ? 'the call was denied' : `the call was denied: ${reason}`;
  return toolFailure(index, context.config.calls[index]!, 'denied', message, undefined);
}

function buildOutput(context: ToolBatchContext): ToolBatchOutput {
  const bySlot = settlementsBySlot(context.settlements, context.config.calls.length);
  const outputs = bySlot.map((s) => (s?.status === 'succeeded' ? s.output : undefined));
  if (context.cancelled) return { status: 'cancelled', outputs };
  if (context.config.policy === 'settleAll') {
    return {
      status: 'succeeded',
      results: bySlot.map((s) => (s!.status === 'succeeded' ? { ok: true as const, output: s!.output } : { ok: false as const, failure: s!.failure })),
    };
  }
  if (context.failureCount === 0) return { status: 'succeeded', outputs: outputs as ToolOutput[] };
  const failures: ToolFailure[] = [];
  for (const s of bySlot) if (s !== undefined && s.status !== 'succeeded') failures.push(s.failure);
  if (context.config.policy === 'failFast' && context.firstFailure !== null) {
    // failFast: the failure that ended the batch comes first, then the calls it aborted; joinAll keeps index order.
    const at = failures.findIndex((failure) => failure.index === context.firstFailure);
    failures.unshift(...failures.splice(at, 1));
  }
  return { status: 'failed', policy: context.config.policy, failures, outputs };
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
  actors: { runTool: noToolsProvided, retryTimer, approvalGate },
  guards: {
    isEmpty: ({ context }) => context.config.calls.length === 0,
    isLateCompletion: ({ context, event }) => !isLive(context, event),
    isLastToSettle: ({ context }) => context.settled + 1 === context.config.calls.length,
    hasEarlierFailures: ({ context }) => context.failureCount > 0,
    isFailFast: ({ context }) => context.config.policy === 'failFast',
    isJoinAll: ({ context }) => context.config.policy === 'joinAll',
    isSettleAll: ({ context }) => context.config.policy === 'settleAll',
    willRetry: ({ event }) => event.type === 'call.failed' && event.retryInMs !== undefined,
    isAwaitingApproval: ({ context, event }) => awaitingOf(context, event) !== -1,
    isStillAwaiting: ({ context, event }) => event.type === 'call.awaitingApproval' && context.awaiting.includes(event.index),
    isRetryDue: ({ context, event }) => event.type === 'call.retryDue' && context.retrying.includes(event.index),
    isSilentEnd: ({ context, event }) => silentLaneOf(context, event) !== -1,
    isFirstPartial: ({ context, event }) => event.type === 'call.partial' && !(context.streaming ?? []).includes(event.index),
    isCancellable: ({ context, event }) => event.type === 'call.cancel' && !('ignored' in cancelTargetOf(context, event.id)),
  },
  actions: {
    admitQueued: assign(({ context, spawn }) => {
      return admitInto(context, draftOf(context), (id, input) => spawn('runTool', { id, input }));
    }),
    closeGate: stopChild(({ context, event }) => gateOf(awaitingOf(context, event))),
    reapChild: stopChild(({ context, event }) => String(laneOf(context, (event as { index: number }).index))),
    cancelCall: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'call.cancel');
      const target = cancelTargetOf(context, event.id);
      if ('ignored' in target) return;
      const { index, place } = target;
      const draft = draftOf(context);
      const update: ContextUpdate = {};
      let withCancel = context;
      if (place === 'running') {
        // The reason reaches the tool's signal before the actor stops; the freed lane is reused below.
        const lane = laneOf(context, index);
        enqueue.sendTo(String(lane), { type: 'call.cancel', ...(event.reason === undefined ? {} : { reason: event.reason }) });
        vacate(context, draft, enqueue, index);
      } else if (place === 'awaitingApproval') {
        enqueue.stopChild(gateOf(index));
        update.awaiting = context.awaiting.filter((i) => i !== index);
      } else if (place === 'retrying') {
        enqueue.stopChild(`retry:${index}`);
        update.retrying = context.retrying.filter((i) => i !== index);
      } else if (place === 'ready') {
        draft.ready = draft.ready.filter((i) => i !== index);
      } else {
        withCancel = { ...context, withdrawn: [...context.withdrawn, index] };
        update.withdrawn = withCancel.withdrawn;
        withdraw(withCancel, draft, index);
      }
      const admitted = admit(withCancel, draft, spawnerOf(enqueue));
      Object.assign(update, fromDraft(draft));
      update.admitted = admitted;
      update.settled = context.settled + 1;
      // Counted with the failures: under joinAll and failFast a cancelled call leaves its output missing,
      // so the batch ends `failed`; it never counts as the failure that ends a failFast batch (`firstFailure`).
      update.failureCount = context.failureCount + 1;
      update.settlements = appendSettlements(context.settlements, { index, status: 'cancelled', failure: cancellation(context, index, event.reason) });
      enqueue.assign(update);
    }),
    announceIgnoredCancel: ({ context, event, self }) => {
      assertEvent(event, 'call.cancel');
      if (!isHeard(self, context, typesOfStep.ignored)) return;
      const target = cancelTargetOf(context, event.id);
      const why = 'ignored' in target ? target.ignored : 'unknown';
      publish(self, context, [{ type: 'call.cancelIgnored', id: event.id, why, at: sinceStart(context, self) }]);
    },
    settleCall: assign(({ context, event, spawn }) => {
      assertEvent(event, settlingEvents);
      const draft = draftOf(context);
      let settlement: Settlement;
      let index: number;
      let awaiting = context.awaiting;
      if (event.type === 'call.deny') {
        // A denied call never ran: it holds no lane, only its place among the awaiting.
        index = awaitingOf(context, event);
        awaiting = awaiting.filter((i) => i !== index);
        settlement = { index, status: 'failed', failure: denial(context, index, event.reason) };
      } else {
        index = event.index;
        release(context, draft, index, laneOf(context, index));
        settlement = event.type === 'call.failed' ? { index, status: 'failed', failure: event.failure } : { index, status: 'succeeded', output: event.output };
      }
      const failed = settlement.status === 'failed';
      // Under failFast a failure ends the batch: nothing more starts.
      const admitted = failed && context.config.policy === 'failFast' ? noneAdmitted : admit(context, draft, (id, input) => spawn('runTool', { id, input }));
      return {
        ...fromDraft(draft),
        awaiting,
        settled: context.settled + 1,
        failureCount: context.failureCount + (failed ? 1 : 0),
        firstFailure: failed && context.firstFailure === null ? index : context.firstFailure,
        settlements: appendSettlements(context.settlements, settlement),
        admitted,
      };
    }),
    announceStep: ({ context, event, self }) => {
      const events = stepEvents(context, event, self);
      if (events !== undefined) publish(self, context, events);
    },
    holdForApproval: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'call.approvalRequested');
      const draft = draftOf(context);
      vacate(context, draft, enqueue, event.index);
      // The request waits in a gate of its own, which a restored batch starts again (approval-gate.ts).
      enqueue.spawnChild('approvalGate', { id: gateOf(event.index), input: { index: event.index, arguments: event.arguments } });
      enqueue.assign({ ...admitInto(context, draft, spawnerOf(enqueue)), awaiting: [...context.awaiting, event.index] });
    }),
    approveCall: enqueueActions(({ context, event, enqueue }) => {
      const index = awaitingOf(context, event);
      enqueue.stopChild(gateOf(index));
      const draft = draftOf(context);
      addReady(draft, index);
      const withApproval = { ...context, approved: [...context.approved, index] };
      enqueue.assign({
        ...admitInto(withApproval, draft, spawnerOf(enqueue)),
        awaiting: context.awaiting.filter((i) => i !== index),
        approved: withApproval.approved,
      });
    }),
    scheduleRetry: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'call.failed');
      const draft = draftOf(context);
      vacate(context, draft, enqueue, event.index);
      // The wait is an actor of its own, so it runs on the system's clock and survives a restore.
      enqueue.spawnChild('retryTimer', { id: `retry:${event.index}`, input: { index: event.index, delayMs: event.retryInMs! } });
      enqueue.assign({
        ...admitInto(context, draft, spawnerOf(enqueue)),
        retrying: [...context.retrying, event.index],
        attempts: { ...context.attempts, [event.index]: (context.attempts[event.index] ?? 1) + 1 },
      });
    }),
    retryNow: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'call.retryDue');
      enqueue.stopChild(`retry:${event.index}`);
      const draft = draftOf(context);
      addReady(draft, event.index);
      enqueue.assign({ ...admitInto(context, draft, spawnerOf(enqueue)), retrying: context.retrying.filter((i) => i !== event.index) });
    }),
    abortRunning: enqueueActions(({ context, enqueue }) => {
      const aborted: Settlement[] = [];
      const abort = (index: number, message: string): void => {
        const call = context.config.calls[index]!;
        aborted.push({ index, status: 'aborted', failure: toolFailure(index, call, 'aborted', message, undefined) });
      };
      context.lanes.forEach((index, lane) => {
        if (index === null) return;
        enqueue.stopChild(String(lane));
        abort(index, abortMessage);
      });
      for (const index of context.retrying) {
        enqueue.stopChild(`retry:${index}`);
        abort(index, 'aborted while it waited to be retried: the batch ended');
      }
      for (const index of context.awaiting) {
        enqueue.stopChild(gateOf(index));
        abort(index, 'aborted while it waited for an approval: the batch ended');
      }
      for (const index of context.ready) abort(index, 'aborted while it waited for a lane to run again: the batch ended');
      enqueue.assign({
        lanes: context.lanes.map(() => null),
        running: 0,
        queues: context.queues.map((queue) => (queue.running === 0 ? queue : queueWith(queue, queue.head, 0))),
        awaiting: [],
        retrying: [],
        ready: [],
        settled: context.settled + aborted.length,
        settlements: appendSettlements(context.settlements, aborted),
        admitted: noneAdmitted,
      });
    }),
    failSilentCall: raise(({ context, event }) => {
      const index = context.lanes[silentLaneOf(context, event)]!;
      const ended = (event as { type: string }).type.startsWith('xstate.done.') ? 'finished' : `failed (${describeError((event as { error?: unknown }).error)})`;
      const message = `its invocation actor ${ended} without reporting to the batch: a \`runTool\` actor must send \`call.succeeded\` { index, output } or \`call.failed\` { index, failure } to its parent (createToolCallLogic does)`;
      return { type: 'call.failed', index, failure: toolFailure(index, context.config.calls[index]!, 'error', message, (event as { error?: unknown }).error) } as const;
    }),
    markCancelled: assign({ cancelled: true }),
    markStreaming: assign(({ context, event }) => {
      assertEvent(event, 'call.partial');
      return { streaming: [...(context.streaming ?? []), event.index] };
    }),
    announceBatchSettled: ({ context, self }, params: { status: 'succeeded' | 'failed' | 'cancelled' }) => {
      if (isHeard(self, context, ['batch.settled'])) publish(self, context, [{ type: 'batch.settled', status: params.status, at: sinceStart(context, self) }]);
    },
  },
}).createMachine({
  id: 'toolBatch',
  description: 'Runs one turn of tool calls under a concurrency limit and joins them by policy.',
  context: ({ input, self }) => {
    assertToolBatchInput(input);
    const options = resolveBatchOptions(input.options);
    const concurrency = options.concurrency === Infinity ? unlimitedRunningCalls : options.concurrency;
    const queues = buildQueues(input.calls, options.perToolConcurrency, concurrency);
    const timeoutMs = options.timeoutMs !== undefined && options.timeoutMs <= maxTimeoutMs ? options.timeoutMs : null;
    return {
      config: {
        // Frozen copies: the caller may reuse its array (a message buffer) while the batch runs, and a
        // tool gets the batch's own call, so it cannot change what the batch reports.
        calls: input.calls.map(({ id, name, arguments: args }) => Object.freeze({ id, name, arguments: args })),
        policy: options.policy,
        concurrency,
        timeoutMs,
        notifyParent: input.notifyParent === true,
        runId: typeof input.runId === 'string' ? input.runId : null,
        origin: clockNow(self.system),
        retry: options.retry ?? null,
      },
      queues,
      lanes: [],
      running: 0,
      settled: 0,
      failureCount: 0,
      firstFailure: null,
      cancelled: false,
      settlements: emptyLog,
      admitted: noneAdmitted,
      awaiting: [],
      approved: [],
      retrying: [],
      ready: [],
      withdrawn: [],
      attempts: {},
    };
  },
  initial: 'running',
  states: {
    running: {
      description:
        'On entry admits the first calls, in index order, up to the limits (an empty batch succeeds at once). Then waits for invocation actors to report: each report settles the slot at its index and admits the next queued call, in one step.',
      entry: ['admitQueued', 'announceStep'],
      always: { guard: 'isEmpty', target: 'succeeded' },
      on: {
        'call.succeeded': [
          { guard: 'isLateCompletion', description: 'Its call no longer runs (the batch aborted it): ignored.' },
          {
            guard: and(['isLastToSettle', not('isSettleAll'), 'hasEarlierFailures']),
            target: 'failed',
            actions: ['reapChild', 'settleCall', 'announceStep'],
            description: 'joinAll: an earlier call failed. Either policy: an earlier call was cancelled, so an output is missing.',
          },
          { guard: 'isLastToSettle', target: 'succeeded', actions: ['reapChild', 'settleCall', 'announceStep'] },
          { actions: ['reapChild', 'settleCall', 'announceStep'] },
        ],
        'call.failed': [
          { guard: 'isLateCompletion', description: 'Its call no longer runs (the batch aborted it): ignored.' },
          { guard: 'willRetry', actions: ['scheduleRetry', 'announceStep'], description: 'Backs off without a lane, then runs again; only a final failure counts.' },
          { guard: 'isFailFast', target: 'failed', actions: ['reapChild', 'settleCall', 'abortRunning', 'announceStep'] },
          { guard: and(['isJoinAll', 'isLastToSettle']), target: 'failed', actions: ['reapChild', 'settleCall', 'announceStep'] },
          { guard: 'isJoinAll', actions: ['reapChild', 'settleCall', 'announceStep'] },
          { guard: and(['isSettleAll', 'isLastToSettle']), target: 'succeeded', actions: ['reapChild', 'settleCall', 'announceStep'] },
          { guard: 'isSettleAll', actions: ['reapChild', 'settleCall', 'announceStep'] },
        ],
        'call.approvalRequested': [
          { guard: 'isLateCompletion', description: 'Its call no longer runs: ignored.' },
          { actions: ['holdForApproval', 'announceStep'], description: 'The call waits for call.approve or call.deny, holding no lane.' },
        ],
        'call.approve': { guard: 'isAwaitingApproval', actions: ['approveCall', 'announceStep'] },
        'call.deny': [
          { guard: not('isAwaitingApproval'), description: 'No call with that id awaits an approval: ignored.' },
          { guard: 'isFailFast', target: 'failed', actions: ['closeGate', 'settleCall', 'abortRunning', 'announceStep'] },
          { guard: and(['isJoinAll', 'isLastToSettle']), target: 'failed', actions: ['closeGate', 'settleCall', 'announceStep'] },
          { guard: 'isJoinAll', actions: ['closeGate', 'settleCall', 'announceStep'] },
          { guard: and(['isSettleAll', 'isLastToSettle']), target: 'succeeded', actions: ['closeGate', 'settleCall', 'announceStep'] },
          { guard: 'isSettleAll', actions: ['closeGate', 'settleCall', 'announceStep'] },
        ],
        'call.awaitingApproval': {
          guard: 'isStillAwaiting',
          actions: 'announceStep',
          description: 'A restored batch: the approval gate of a call that still waits reminds it to announce call.approvalRequested again.',
        },
        'call.retryDue': { guard: 'isRetryDue', actions: ['retryNow', 'announceStep'] },
        'call.progress': { guard: not('isLateCompletion'), actions: 'announceStep', description: "Forwards the tool's own progress report." },
        'call.partial': [
          { guard: 'isLateCompletion', description: 'Its call no longer runs (it settled or the batch aborted it): ignored.' },
          { guard: 'isFirstPartial', actions: ['markStreaming', 'announceStep'], description: 'The first value its tool yielded: the slot is streaming.' },
          { actions: 'announceStep', description: 'Forwards each further value its tool yielded.' },
        ],
        'xstate.done.actor.*': {
          guard: 'isSilentEnd',
          actions: 'failSilentCall',
          description: 'A provided runTool finished without reporting call.succeeded or call.failed: its call fails, naming that contract.',
        },
        'xstate.error.actor.*': {
          guard: 'isSilentEnd',
          actions: 'failSilentCall',
          description: 'A provided runTool threw or rejected without reporting: its call fails with what it threw.',
        },
        'call.cancel': [
          {
            guard: not('isCancellable'),
            actions: 'announceIgnoredCancel',
            description: 'No call has the id, its call settled, or it was already cancelled: nothing changes, call.cancelIgnored says why.',
          },
          { guard: and(['isLastToSettle', 'isSettleAll']), target: 'succeeded', actions: ['cancelCall', 'announceStep'] },
          {
            guard: 'isLastToSettle',
            target: 'failed',
            actions: ['cancelCall', 'announceStep'],
            description: 'joinAll and failFast: a cancelled call has no output, so the batch fails once every call settled.',
          },
          {
            actions: ['cancelCall', 'announceStep'],
            description: 'Settles the call as cancelled (a running one is aborted with the reason) and admits the next queued call on the freed lane; never ends a failFast batch.',
          },
        ],
        'batch.cancel': { target: 'cancelled', actions: ['markCancelled', 'abortRunning', 'announceStep'] },
      },
    },
    succeeded: {
      type: 'final',
      description: 'Every call settled; under settleAll this holds per-call results, failures included.',
      entry: { type: 'announceBatchSettled', params: { status: 'succeeded' } },
    },
    failed: {
      type: 'final',
      description:
        'failFast: the first failure, with running calls aborted. joinAll: every call settled, some failed. Either: every call settled, some were cancelled (call.cancel).',
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
