/**
 * The batch machine's steps as pure functions on its context: admitting
 * calls, freeing lanes, and the per-call bookkeeping of approvals and
 * retries. Each works on a `Draft`, fresh copies of what a step changes, so
 * the context itself is never edited (see tool-batch.machine.ts).
 */
import { nextQueue, queueOfTool, queueWith, type AdmissionQueue } from './admission-queues.js';
import type { ToolCallInput } from './tool-call.machine.js';
import { settlementOf } from './settlement-log.js';
import type { CancelIgnoredWhy, ToolBatchContext } from './tool-batch.types.js';

/** What a step may change, as fresh copies of the context's arrays. */
export interface Draft {
  lanes: (number | null)[];
  queues: AdmissionQueue[];
  /** The context's queues: a queue of `queues` that is still one of these is shared with snapshots, and is copied before a change. */
  readonly sharedQueues: readonly AdmissionQueue[];
  running: number;
  /** Approved or retry-due calls waiting for a lane, admitted before the queues (they came first). Copied on write. */
  ready: readonly number[];
  /** Running calls whose tool has yielded: absent until one has. Copied on write. */
  streaming?: readonly number[];
}

/**
 * Fresh copies of what a step changes.
 *
 * @param context - the batch's context.
 * @returns the draft.
 * @example
 * ```ts
 * const draft = draftOf(context);
 * ```
 */
export function draftOf(context: ToolBatchContext): Draft {
  // `ready` is shared until a step changes it (it is empty for almost every step): see `addReady`.
  const draft: Draft = { lanes: context.lanes.slice(), queues: context.queues.slice(), sharedQueues: context.queues, running: context.running, ready: context.ready };
  if (context.streaming !== undefined) draft.streaming = context.streaming;
  return draft;
}

/** The admission queue of call `index`. */
export function queueOf(context: ToolBatchContext, index: number): number {
  return queueOfTool(context.queues, context.config.calls[index]!.name);
}

/**
 * The next call to admit, FIFO by index: a ready call whose tool has room, or
 * the head of a queue under its limit. Takes it off its list in the draft.
 *
 * @returns its index, or `-1` when none can start (or no lane is free).
 */
export function takeNext(context: ToolBatchContext, draft: Draft): number {
  if (draft.running >= context.config.concurrency) return -1;
  let readyAt = -1;
  for (let r = 0; r < draft.ready.length; r++) {
    const index = draft.ready[r]!;
    const queue = draft.queues[queueOf(context, index)]!;
    if (queue.running < queue.limit && (readyAt === -1 || index < draft.ready[readyAt]!)) readyAt = r;
  }
  const q = nextQueue(draft.queues);
  const head = q === -1 ? Infinity : draft.queues[q]!.indices[draft.queues[q]!.head]!;
  if (readyAt !== -1 && draft.ready[readyAt]! < head) {
    const index = draft.ready[readyAt]!;
    draft.ready = draft.ready.filter((_, r) => r !== readyAt);
    return index;
  }
  if (q === -1) return -1;
  const queue = ownQueue(draft, q);
  queue.head++;
  skipWithdrawn(context, queue);
  return head;
}

/** Moves a queue's cursor past calls that were cancelled while queued, so that its head is always a call that can start. */
function skipWithdrawn(context: ToolBatchContext, queue: { head: number; readonly indices: readonly number[] }): void {
  // Almost always empty: the check costs one comparison per admission.
  if (context.withdrawn.length === 0) return;
  while (queue.head < queue.indices.length && context.withdrawn.includes(queue.indices[queue.head]!)) queue.head++;
}

/** Where a call that `call.cancel` names waits or runs, or why the cancel changes nothing. */
export type CancelTarget =
  | { index: number; place: 'running' | 'awaitingApproval' | 'retrying' | 'ready' | 'queued' }
  | { index: number; ignored: Exclude<CancelIgnoredWhy, 'unknown'> }
  | { index: -1; ignored: 'unknown' };

/**
 * What `call.cancel` with `id` would cancel: the call's index and where it is
 * now (running, awaiting an approval, backing off, ready for a lane, or
 * queued), or why it would change nothing. A scan of the calls: cancels are
 * rare, and an id is data, never a key.
 *
 * @param context - the batch's context.
 * @param id - the call id the cancel names.
 * @returns the target, or `ignored` with the reason.
 * @example
 * ```ts
 * cancelTargetOf(context, 'c2'); // { index: 2, place: 'queued' }
 * ```
 */
export function cancelTargetOf(context: ToolBatchContext, id: unknown): CancelTarget {
  const index = context.config.calls.findIndex((call) => call.id === id);
  if (index === -1) return { index: -1, ignored: 'unknown' };
  if (context.lanes.includes(index)) return { index, place: 'running' };
  if (context.awaiting.includes(index)) return { index, place: 'awaitingApproval' };
  if (context.retrying.includes(index)) return { index, place: 'retrying' };
  if (context.ready.includes(index)) return { index, place: 'ready' };
  if (context.withdrawn.includes(index)) return { index, ignored: 'repeated' };
  const queue = context.queues[queueOf(context, index)]!;
  if (queue.indices.indexOf(index) >= queue.head) return { index, place: 'queued' };
  const settlement = settlementOf(context.settlements, index);
  return { index, ignored: settlement?.status === 'cancelled' ? 'repeated' : 'settled' };
}

/**
 * Takes queued call `index` out of admission: its queue's cursor moves past
 * it now when it is the head, and `takeNext` skips it later otherwise.
 * `context` must already list it among the `withdrawn`.
 */
export function withdraw(context: ToolBatchContext, draft: Draft, index: number): void {
  const q = queueOf(context, index);
  const shared = draft.queues[q]!;
  if (shared.indices[shared.head] !== index) return;
  skipWithdrawn(context, ownQueue(draft, q));
}

/** Adds call `index` to the ready calls, in a new array. */
export function addReady(draft: Draft, index: number): void {
  draft.ready = [...draft.ready, index];
}

/**
 * Puts call `index` on the lowest free lane and counts it as running.
 *
 * @returns the lane.
 */
export function occupy(context: ToolBatchContext, draft: Draft, index: number): number {
  let lane = draft.lanes.indexOf(null);
  if (lane === -1) lane = draft.lanes.push(null) - 1;
  draft.lanes[lane] = index;
  draft.running++;
  ownQueue(draft, queueOf(context, index)).running++;
  return lane;
}

/** Frees the lane and the queue place of the call at `index`, which ran on `lane`. */
export function release(context: ToolBatchContext, draft: Draft, index: number, lane: number): void {
  draft.lanes[lane] = null;
  draft.running--;
  // A call that leaves its lane (it settled, backs off or waits) streams no more: a retry starts afresh.
  if (draft.streaming?.includes(index)) draft.streaming = draft.streaming.filter((i) => i !== index);
  ownQueue(draft, queueOf(context, index)).running--;
}

/**
 * Queue `q` of the draft, copied first if a snapshot shares it: a step that
 * releases, takes and admits on one queue makes one copy, not three.
 */
function ownQueue(draft: Draft, q: number): { -readonly [K in keyof AdmissionQueue]: AdmissionQueue[K] } {
  let queue = draft.queues[q]!;
  if (queue === draft.sharedQueues[q]) {
    queue = queueWith(queue, queue.head, queue.running);
    draft.queues[q] = queue;
  }
  return queue;
}

/**
 * What the invocation actor of call `index` starts with.
 *
 * @example
 * ```ts
 * spawn('runTool', { id: String(lane), input: invocationInput(context, index) });
 * ```
 */
export function invocationInput(context: ToolBatchContext, index: number): ToolCallInput {
  const { config } = context;
  const call = config.calls[index]!;
  const input: ToolCallInput = { index, call, timeoutMs: config.timeoutMs };
  if (config.runId !== null) input.idempotencyKey = `${config.runId}:${call.id}`;
  if (context.approved.includes(index)) input.approved = true;
  const attempt = context.attempts[index];
  if (attempt !== undefined) input.attempt = attempt;
  if (config.retry !== null) input.retry = config.retry;
  return input;
}

/** The index of the call with id `id` among `indices`, or `-1`. */
export function findById(context: ToolBatchContext, indices: readonly number[], id: unknown): number {
  for (const index of indices) if (context.config.calls[index]!.id === id) return index;
  return -1;
}
