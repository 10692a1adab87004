/**
 * Runs one job's call on the worker: through the router's `execute`, so that
 * argument validation and failure kinds are those of an in-process call, with
 * the result checked for JSON as the invocation actor checks it. A failure
 * becomes an `UnrecoverableError` whose message is the `{ kind, message }`
 * the runner reads back (BullMQ's own retries are not for tool failures).
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { ToolExecutor, ToolProgress, ToolRunContext } from '../../index.js';
import { failureOf } from './failure-of.js';
import { describeNonJson } from '../../../machines/json-result.js';
import { callOf, encodeFailure, encodeResult, type CancelReason, type ToolJobData, type WireFailure } from './wire.js';

/** What `runToolJob` needs besides the job. */
export interface ToolJobContext {
  execute: ToolExecutor;
  /**
   * Called once the job runs, with the function that cancels it; returns the
   * function that forgets it again (when the job ends).
   */
  track(cancel: (reason: CancelReason) => void): () => void;
  /** Sent as progress when the job starts, such as `on worker-1`. Default: nothing. */
  announce?: string;
  /**
   * The tool's own timeout in ms: the job then fails with kind `timeout` and the
   * tool's signal aborts with a `TimeoutError`, as in-process. Default: none.
   */
  timeoutMs?: number;
  onError(error: Error): void;
}

/** The longest delay a timer can wait (2^31 − 1 ms). */
const maxTimerMs = 2 ** 31 - 1;

/**
 * The error that ends a job as failed, for good (BullMQ's retries are not for tool failures).
 *
 * @param failure - the call's failure.
 * @returns an `UnrecoverableError` whose message is the encoded failure.
 * @example
 * ```ts
 * throw failJob({ kind: 'error', message: 'boom' });
 * ```
 */
export function failJob(failure: WireFailure): UnrecoverableError {
  return new UnrecoverableError(encodeFailure(failure));
}

/**
 * The failure of a job cancelled by its runner.
 *
 * @param reason - why: a timeout, or failFast and cancel.
 * @returns kind `timeout` or `aborted`, marked cancelled.
 * @example
 * ```ts
 * cancelledFailure({ name: 'AbortError', message: 'aborted' }); // { kind: 'aborted', message: 'aborted', cancelled: true }
 * ```
 */
export function cancelledFailure(reason: CancelReason): WireFailure {
  return { kind: reason.name === 'TimeoutError' ? 'timeout' : 'aborted', message: reason.message, cancelled: true };
}

/**
 * Runs a job's call and returns its result, or throws the failure.
 *
 * The tool's `AbortSignal` is made when the tool first reads it, as in-process:
 * an AbortController and its listener per job were a measurable share of a
 * no-op job's cost. A cancel rejects at once (the job ends as cancelled) and
 * aborts the signal with a `TimeoutError` or an `AbortError`, as in-process.
 * The tool's own `timeoutMs` is kept here, where the tool is known: the
 * runner may not know the tool, and its wait ends when this job fails.
 *
 * @param job - the BullMQ job.
 * @param context - the executor and hooks.
 * @returns the tool's result, checked to be JSON.
 * @example
 * ```ts
 * new Worker(queueName, (job) => runToolJob(job, { execute: router.execute, track, onError }), options);
 * ```
 */
export function runToolJob(job: Job<ToolJobData>, context: ToolJobContext): Promise<unknown> {
  const { data } = job;
  const call = callOf(data);
  let controller: AbortController | undefined;
  let cancelled: CancelReason | undefined;
  let settled = false;
  const report = (update: ToolProgress): void => {
    if (settled) return;
    job.updateProgress({ ...update }).catch(context.onError);
  };
  if (context.announce !== undefined) report({ progress: 0, message: context.announce });
  const runContext: ToolRunContext = {
    index: data.index,
    call,
    get signal(): AbortSignal {
      if (controller === undefined) {
        controller = new AbortController();
        if (cancelled !== undefined) controller.abort(new DOMException(cancelled.message, cancelled.name));
      }
      return controller.signal;
    },
    reportProgress: report,
    attempt: data.attempt ?? 1,
    approved: data.approved ?? false,
    ...(data.idempotencyKey === undefined ? {} : { idempotencyKey: data.idempotencyKey }),
  };
  return new Promise((resolve, reject) => {
    let untrack = (): void => {};
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      untrack();
      outcome();
    };
    untrack = context.track((reason) => {
      if (settled) return;
      cancelled = reason;
      // The tool sees what it would see in-process: a TimeoutError or an AbortError.
      controller?.abort(new DOMException(reason.message, reason.name));
      finish(() => reject(failJob(cancelledFailure(reason))));
    });
    const { timeoutMs } = context;
    // Node fires a longer timer after 1 ms: a longer timeout is none, as in-process.
    if (timeoutMs !== undefined && timeoutMs <= maxTimerMs) {
      timer = setTimeout(() => {
        const message = `the tool did not settle within ${timeoutMs} ms`;
        cancelled = { name: 'TimeoutError', message };
        controller?.abort(new DOMException(message, 'TimeoutError'));
        finish(() => reject(failJob({ kind: 'timeout', message })));
      }, timeoutMs);
    }
    let result: unknown;
    try {
      result = context.execute(call, runContext);
    } catch (error) {
      return finish(() => reject(failJob(failureOf(error))));
    }
    Promise.resolve(result).then(
      (value) =>
        finish(() => {
          const returned = encodeResult(value);
          if (returned !== value) return resolve(returned);
          let problem: string | undefined;
          try {
            problem = describeNonJson(value);
          } catch (error) {
            problem = `reading it threw: ${failureOf(error).message}`;
          }
          if (problem === undefined) resolve(value);
          else reject(failJob({ kind: 'invalidResult', message: `the tool's result is not JSON: ${problem}` }));
        }),
      (error: unknown) => finish(() => reject(failJob(failureOf(error)))),
    );
  });
}
