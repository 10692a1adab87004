/**
 * Durable runs: checkpoints of a running actor in a `RunStore`, and the
 * approvals a run asks for along the way.
 *
 * A checkpoint is the actor's persisted snapshot, written after every step
 * that changed it (every settlement, approval request and model turn among
 * them). Writes never overlap: while one is in flight, later snapshots wait
 * and only the newest is written next. Starting again with the same `runId`
 * restores the last checkpoint: settled calls are kept and never run again,
 * calls that were running run again (their tools get the same
 * `idempotencyKey`), calls that awaited an approval still await it.
 */
import type { AnyActorRef, EventObject } from 'xstate';
import { describeError } from '../core/describe.js';
import type { RunCheckpoint, RunStore } from './run-store.js';

/** What a tool asks before a call runs: the call and its arguments. */
export interface ApprovalRequestInfo {
  index: number;
  id: string;
  name: string;
  /** The arguments, parsed by the tool's schema. */
  arguments: unknown;
}

/** Decides one approval: `true` runs the call, `false` denies it (kind `denied`). */
export type Approver = (request: ApprovalRequestInfo) => boolean | PromiseLike<boolean>;

/** Keeps an actor's checkpoints in a store while it runs. */
export interface Checkpointer {
  /** Resolves once the newest snapshot is written. */
  flush(): Promise<void>;
  stop(): void;
}

/**
 * Writes the actor's persisted snapshot to `store` after every change, one write at a time.
 *
 * @param actor - the running actor.
 * @param store - where checkpoints go.
 * @param runId - the run's id.
 * @param kind - `batch` or `agent`.
 * @returns the checkpointer; `flush()` before settling the run.
 * @example
 * ```ts
 * const checkpoints = keepCheckpoints(actor, store, 'run-1', 'batch');
 * ```
 */
export function keepCheckpoints(actor: AnyActorRef, store: RunStore, runId: string, kind: RunCheckpoint['kind']): Checkpointer {
  let writing: Promise<void> = Promise.resolve();
  let dirty = false;
  let inFlight = false;
  let failure: unknown;
  const write = (): void => {
    if (inFlight || !dirty) return;
    dirty = false;
    inFlight = true;
    // JSON now: the snapshot is a value, but what the store keeps must not share anything with the run.
    const checkpoint: RunCheckpoint = { version: 1, kind, snapshot: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) };
    writing = store.save(runId, checkpoint).then(
      () => {
        inFlight = false;
        write();
      },
      (error: unknown) => {
        inFlight = false;
        failure ??= error;
      },
    );
  };
  const subscription = actor.subscribe({
    next: () => {
      dirty = true;
      write();
    },
    error: () => {},
  });
  dirty = true;
  write();
  return {
    async flush() {
      while (inFlight || dirty) {
        write();
        await writing;
      }
      if (failure !== undefined) throw new Error(`Could not save the checkpoint of run "${runId}": ${describeError(failure)}`, { cause: failure });
    },
    stop: () => subscription.unsubscribe(),
  };
}

/**
 * Loads a run's checkpoint, checking that it is one of `kind`.
 *
 * @returns the persisted snapshot, or `undefined` for a new run.
 * @throws `TypeError` when the store holds a checkpoint of another kind or version.
 * @example
 * ```ts
 * const snapshot = await loadCheckpoint(store, 'run-1', 'batch');
 * ```
 */
export async function loadCheckpoint(store: RunStore, runId: string, kind: RunCheckpoint['kind']): Promise<unknown> {
  const checkpoint = await store.load(runId);
  if (checkpoint === undefined) return undefined;
  if (checkpoint.version !== 1 || checkpoint.kind !== kind) {
    throw new TypeError(`Expected the checkpoint of run "${runId}" to be a version 1 ${kind} checkpoint, got ${checkpoint.kind} version ${String(checkpoint.version)}`);
  }
  return checkpoint.snapshot;
}

/**
 * Answers each approval the actor asks for with `approve` (or denies it
 * when there is none), by sending `call.approve` / `call.deny` to `target`.
 *
 * @param actor - the actor whose `call.approvalRequested` events to answer.
 * @param approve - the approver, or `undefined` to deny every request.
 * @param target - where decisions go (the batch, or the agent that forwards them).
 * @example
 * ```ts
 * answerApprovals(actor, options.approve, actor);
 * ```
 */
export function answerApprovals(actor: AnyActorRef, approve: Approver | undefined, target: AnyActorRef): void {
  actor.on('call.approvalRequested', (event: EventObject) => decide(event as EventObject & ApprovalRequestInfo, approve, target));
}

/**
 * Decides one request and sends the decision.
 *
 * @example
 * ```ts
 * decide({ type: 'call.approvalRequested', index: 0, id: 'c1', name: 'pay', arguments: {} }, () => true, batch);
 * ```
 */
export function decide(request: ApprovalRequestInfo, approve: Approver | undefined, target: AnyActorRef): void {
  const { id } = request;
  if (approve === undefined) {
    target.send({ type: 'call.deny', id, reason: 'no approver was given (pass `approve`)' });
    return;
  }
  Promise.resolve()
    .then(() => approve({ index: request.index, id, name: request.name, arguments: request.arguments }))
    .then(
      (approved) => target.send(approved === true ? { type: 'call.approve', id } : { type: 'call.deny', id, reason: 'not approved' }),
      (error: unknown) => target.send({ type: 'call.deny', id, reason: `the approver threw: ${describeError(error)}` }),
    );
}
