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
 *
 * A run has one owner: `holdRun` takes the store's lease on the run before
 * its checkpoint is read, renews it a third of the way through its time to
 * live, and gives it back when the run ends. An owner whose renewal fails
 * (the lease expired and another owner took the run) stops its actor at once
 * and writes nothing more.
 */
import type { AnyActorRef, EventObject } from 'xstate';
import { describeError } from '../core/describe.js';
import { jsonCopy } from '../core/plain-data.js';
import { RunLeaseError, type RunCheckpoint, type RunStore } from './run-store.js';

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
    // JSON now: the snapshot is a value, but what the store keeps must not share anything with the run,
    // and a failure may hold a thrown value that JSON.stringify chokes on (jsonCopy says why).
    const checkpoint: RunCheckpoint = { version: 1, kind, snapshot: jsonCopy(actor.getPersistedSnapshot()) };
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

/** How long a run's lease lasts without a renewal when `leaseMs` is not given: 30 s. */
export const defaultLeaseMs = 30_000;

/** A run this process owns, until `release()`. */
export interface HeldRun {
  /** Rejects with `RunLeaseError` when a renewal finds the run taken over; never resolves. */
  readonly lost: Promise<never>;
  /** Stops renewing and gives the lease back. */
  release(): Promise<void>;
}

/**
 * Takes the store's lease on a run and keeps renewing it.
 *
 * @param store - the run's store.
 * @param runId - the run.
 * @param ttlMs - the lease's time to live; renewed every third of it.
 * @returns the held run.
 * @throws `RunLeaseError` (as a rejection) while another owner holds the run.
 * @example
 * ```ts
 * const held = await holdRun(store, 'run-1', 30_000);
 * try { await work(); } finally { await held.release(); }
 * ```
 */
export async function holdRun(store: RunStore, runId: string, ttlMs: number = defaultLeaseMs): Promise<HeldRun> {
  const lease = await store.lease(runId, { ttlMs });
  let lose!: (error: unknown) => void;
  const lost = new Promise<never>((_, reject) => (lose = reject));
  // Whoever races it handles it; nothing else may see an unhandled rejection.
  lost.catch(() => {});
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    lease.renew().then(
      () => (renewing = false),
      (error: unknown) => {
        clearInterval(timer);
        lose(RunLeaseError.isInstance(error) ? error : new RunLeaseError(runId, `Could not renew the lease on run "${runId}": ${describeError(error)}`));
      },
    );
  }, Math.max(1, Math.floor(ttlMs / 3)));
  // The lease must not keep the process alive by itself.
  timer.unref?.();
  return {
    lost,
    async release() {
      clearInterval(timer);
      await lease.release();
    },
  };
}

/**
 * Runs `run` while owning the run `runId` in `store` (when both are given):
 * the lease is taken first, given back however `run` ends.
 *
 * @param durable - the store, the run id and the lease's time to live.
 * @param run - the work; it gets the held run, or `undefined` for a run that is not durable.
 * @returns what `run` returns.
 * @example
 * ```ts
 * const output = await owningRun({ store, runId: 'run-1' }, async (held) => work(held));
 * ```
 */
export async function owningRun<T>(
  durable: { store?: RunStore | undefined; runId?: string | undefined; leaseMs?: number | undefined },
  run: (held: HeldRun | undefined) => Promise<T>,
): Promise<T> {
  const { store, runId, leaseMs } = durable;
  if (store === undefined || runId === undefined) return run(undefined);
  const held = await holdRun(store, runId, leaseMs);
  try {
    return await run(held);
  } finally {
    await held.release();
  }
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
