/**
 * Gathers the tool calls of one agent turn into one batch.
 *
 * What this module provides: `createTurnBatcher`, which takes calls one at a
 * time (as the agent runner hands them to each tool) and runs the calls of one
 * turn as a single `runToolBatch`, then settles each call's promise from it.
 *
 * Implementation strategy: the runner starts every function tool call of a
 * turn at once, and each call reaches its tool after the same chain of
 * promise steps, so all of them arrive before the event loop's next check
 * phase. The first call of a run schedules a flush with `setImmediate`; every
 * call of the same run that arrives before it joins the batch. Runs are told
 * apart by their run context, so two runs that share tools never share a batch.
 *
 * Testing strategy: test/adapters/openai-agents.test.ts drives a real `Runner`
 * with a scripted model and counts batches through `onEvent`.
 */
import { settledResultsOf } from '../../core/failure.js';
import {
  ToolBatchError,
  runToolBatch,
  type BatchOptions,
  type SettledResult,
  type ToolBatchEmitted,
  type ToolCall,
  type ToolOutput,
  type ToolRouter,
} from '../../index.js';

/** What every turn's batch runs with: the router, the batch options and a progress hook. */
export type TurnBatchOptions = BatchOptions & {
  /** The tools, by name. */
  router: ToolRouter;
  /** Receives every progress event of every turn's batch. */
  onEvent?: (event: ToolBatchEmitted) => void;
};

/** How one call of a turn batch settles the promise its tool returned. */
interface Waiter {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

/** The calls of one run that arrived since its last flush. */
interface PendingTurn {
  calls: ToolCall[];
  waiters: Waiter[];
  signals: Set<AbortSignal>;
}

/** Collects calls into per-run turn batches. */
export interface TurnBatcher {
  /**
   * Adds a call to its run's current turn and returns what its tool hands back.
   *
   * @param run - the object that identifies the run (its run context).
   * @param call - the call, with parsed arguments.
   * @param signal - the runner's signal for this call, if any; aborting it cancels the batch.
   * @returns the call's result; a failure, under every policy, is `{ error: { kind, message } }`
   *   (kind `aborted` for a call failFast stopped or never started).
   */
  submit(run: object, call: ToolCall, signal: AbortSignal | undefined): Promise<unknown>;
}

/**
 * Creates a batcher that runs each run's turn as one `runToolBatch`.
 *
 * @param options - the `router`, the batch options (limits, policy, timeout) and `onEvent`.
 * @returns the batcher.
 * @example
 * ```ts
 * const batcher = createTurnBatcher({ router: createToolRouter([weather]), concurrency: 2 });
 * const result = await batcher.submit(runContext, { id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } }, undefined);
 * ```
 */
export function createTurnBatcher(options: TurnBatchOptions): TurnBatcher {
  const pending = new Map<object, PendingTurn>();

  const flush = (run: object): void => {
    const turn = pending.get(run);
    if (turn === undefined) return;
    pending.delete(run);
    const signal = combine([...turn.signals]);
    runToolBatch(turn.calls, { ...options, ...(signal ? { signal } : {}) }).then(
      (outcomes: ToolOutput[] | SettledResult[]) => {
        turn.waiters.forEach((waiter, index) => waiter.resolve(resultOf(outcomes[index])));
      },
      (reason: unknown) => {
        // A failed batch (joinAll, failFast) still answers every call, as the SDK answers a
        // tool that threw: the model reads each failure, and `aborted` for the calls it stopped.
        if (ToolBatchError.isInstance(reason)) {
          const results = settledResultsOf(turn.calls, reason);
          turn.waiters.forEach((waiter, index) => waiter.resolve(resultOf(results[index])));
          return;
        }
        // An abort (or a bad option) fails the run: every call rejects with the reason.
        for (const waiter of turn.waiters) waiter.reject(reason);
      },
    );
  };

  return {
    submit(run, call, signal) {
      let turn = pending.get(run);
      if (turn === undefined) {
        turn = { calls: [], waiters: [], signals: new Set() };
        pending.set(run, turn);
        setImmediate(flush, run);
      }
      const current = turn;
      current.calls.push(call);
      if (signal !== undefined) current.signals.add(signal);
      return new Promise<unknown>((resolve, reject) => {
        current.waiters.push({ resolve, reject });
      });
    },
  };
}

/** One signal that aborts when any of the given ones does. */
function combine(signals: AbortSignal[]): AbortSignal | undefined {
  if (signals.length <= 1) return signals[0];
  return AbortSignal.any(signals);
}

/** What a call's tool hands back to the runner for its slot in the batch. */
function resultOf(outcome: ToolOutput | SettledResult | undefined): unknown {
  if (outcome === undefined) return undefined;
  if ('ok' in outcome) {
    if (outcome.ok) return outcome.output.result;
    const { kind, message } = outcome.failure;
    return { error: { kind, message } };
  }
  return outcome.result;
}
