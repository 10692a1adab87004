/**
 * A trace across the queue: the runner writes the active trace context into
 * a call's job (`trace` in its data, as W3C `traceparent` / `tracestate`
 * headers), and the worker runs the job in that context, so the worker's span
 * is a child of the orchestrator's call span. The adapter knows no tracing
 * library: `bullmqTracing()` from `xstate-parallel-tools/otel` is one
 * `JobTracing`, and any object of this shape is another.
 */
import type { ToolCall } from '../../index.js';
import { decodeFailure, type ToolJobData } from './wire.js';

/** What the worker tells `JobTracing.process` about a job. */
export interface TracedJob {
  /** The headers the runner wrote, or `undefined` for a job without them. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly queueName: string;
  readonly jobId: string;
  readonly call: ToolCall;
  /** Which attempt of the call this job runs, from 1. */
  readonly attempt: number;
  /** The failure kind and message of what the job threw. */
  failureOf(error: unknown): { kind: string; message: string };
}

/** Carries a trace context in each job, from the runner to the worker. */
export interface JobTracing {
  /** On the runner, as a call's job is made: the active trace context as headers, or `undefined` for none. */
  inject(): Record<string, string> | undefined;
  /** On the worker: runs the job (`run`) in the context its headers carry. */
  process<T>(job: TracedJob, run: () => Promise<T>): Promise<T>;
}

/**
 * Adds the active trace context to a job's data.
 *
 * @param data - the job's data.
 * @param tracing - the runner's tracing, if any.
 * @returns the data, with `trace` when there is a context to carry.
 * @example
 * ```ts
 * const data = withTrace(jobDataFor(call, context), tracing);
 * ```
 */
export function withTrace(data: ToolJobData, tracing: JobTracing | undefined): ToolJobData {
  const headers = tracing?.inject();
  if (headers !== undefined && Object.keys(headers).length > 0) data.trace = headers;
  return data;
}

/**
 * The failure a job's error stands for: ours (`failJob`), or BullMQ's own.
 *
 * @example
 * ```ts
 * jobFailureOf(failJob({ kind: 'timeout', message: 'late' })); // { kind: 'timeout', message: 'late' }
 * ```
 */
export function jobFailureOf(error: unknown): { kind: string; message: string } {
  const { kind, message } = decodeFailure(error instanceof Error ? error.message : String(error));
  return { kind, message };
}

/**
 * Checks the `tracing` option.
 *
 * @throws `TypeError` for anything without `inject` and `process` functions.
 */
export function assertTracing(tracing: unknown): asserts tracing is JobTracing | undefined {
  if (tracing === undefined) return;
  const given = tracing as Partial<JobTracing> | null;
  if (typeof given !== 'object' || given === null || typeof given.inject !== 'function' || typeof given.process !== 'function') {
    throw new TypeError('Expected `tracing` to be an object with `inject` and `process` methods (such as `bullmqTracing()` from xstate-parallel-tools/otel)');
  }
}
