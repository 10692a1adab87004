/**
 * What runner and worker say to each other through Redis: the job's data,
 * its id, the queue a tool's jobs go to, how a failure is written in
 * `failedReason`, and the cancel message.
 *
 * Both sides must agree on every byte here, so it is all in one file.
 */
import { randomUUID } from 'node:crypto';
import { UnparsedArguments, type FailureKind, type ToolCall } from '../../index.js';

/** The default queue name. */
export const defaultQueueName = 'xstate-parallel-tools';

/** BullMQ's default key prefix. */
export const defaultPrefix = 'bull';

/** A job's data: the call, and the idempotency key the tool gets. */
export interface ToolJobData {
  call: { id: string; name: string; arguments: unknown };
  /** The call's slot in its batch. */
  index: number;
  /** Set when the model's argument string was not JSON (`UnparsedArguments`), which JSON cannot carry as such. */
  unparsed?: { raw: string; reason: string };
  idempotencyKey?: string;
  /** Which attempt this is, from 1 (the batch's retries run each attempt as a job of its own). */
  attempt: number;
  /** The call was approved, so the worker runs it without asking again. */
  approved: boolean;
  /** The trace context of the call's span, as W3C headers (`traceparent`, `tracestate`), when the runner traces. */
  trace?: Record<string, string>;
}

/** What the runner knows of a call besides the call itself. */
export interface JobContext {
  index: number;
  idempotencyKey?: string | undefined;
  attempt: number;
  approved: boolean;
}

/**
 * The job data for a call.
 *
 * @param call - the call, as the batch gives it to the runner.
 * @param context - its index, idempotency key, attempt and approval.
 * @returns JSON for the job.
 * @example
 * ```ts
 * jobDataFor({ id: 'c1', name: 'add', arguments: { a: 1 } }, { index: 0, attempt: 1, approved: false });
 * ```
 */
export function jobDataFor(call: ToolCall, context: JobContext): ToolJobData {
  const { index, idempotencyKey, attempt, approved } = context;
  const data: ToolJobData = UnparsedArguments.isInstance(call.arguments)
    ? { call: { id: call.id, name: call.name, arguments: null }, index, attempt, approved, unparsed: { raw: call.arguments.raw, reason: call.arguments.reason } }
    : { call: { id: call.id, name: call.name, arguments: call.arguments }, index, attempt, approved };
  if (idempotencyKey !== undefined) data.idempotencyKey = idempotencyKey;
  return data;
}

/**
 * The call a job carries, as the runner sent it (`UnparsedArguments` included).
 *
 * @param data - the job's data.
 * @returns the call, for the router.
 * @example
 * ```ts
 * const call = callOf(job.data);
 * ```
 */
export function callOf(data: ToolJobData): ToolCall {
  const { id, name } = data.call;
  const args = data.unparsed === undefined ? data.call.arguments : new UnparsedArguments(data.unparsed.raw, data.unparsed.reason);
  return { id, name, arguments: args };
}

/**
 * The job id of a call: derived from its idempotency key (`runId:callId`), so
 * that a resumed run finds the job again; a fresh id when there is none.
 * BullMQ refuses `:` and integers in custom ids, so the key is percent-encoded
 * (it always holds a `:`, which becomes `%3A`: never an integer, never a `:`).
 * A retry is a job of its own: attempt 2 of `run-1:c1` is `run-1%3Ac1%232`
 * (`run-1:c1#2`), so that it is not mistaken for the failed first attempt;
 * so is the run of an approved call (`run-1:c1#approved`), whose first job
 * only asked for the approval.
 *
 * @param idempotencyKey - the call's key, when the batch runs under a `runId`.
 * @param attempt - which attempt, from 1.
 * @param approved - the call was approved.
 * @returns the job id.
 * @example
 * ```ts
 * jobIdFor('run-1:c1'); // 'run-1%3Ac1'
 * ```
 */
export function jobIdFor(idempotencyKey: string | undefined, attempt = 1, approved = false): string {
  if (idempotencyKey === undefined) return `call-${randomUUID()}`;
  return encodeURIComponent(`${idempotencyKey}${attempt > 1 ? `#${attempt}` : ''}${approved ? '#approved' : ''}`);
}

/**
 * The library's marker of a call that needs an approval (`ApprovalRequest`):
 * a registered symbol, so that every copy of the library recognises the
 * request of another; the runner rebuilds one from the wire with it.
 */
const approvalMarker = Symbol.for('xstate-parallel-tools.ApprovalRequest');

/** What a job returns when its call asks for an approval instead of running. */
const approvalTag = 'xstate-parallel-tools:approvalRequest';

/**
 * A job's return value: the tool's result, or the tagged approval request
 * when the call needs one (the router returns it instead of running the tool).
 *
 * @param value - what the router's `execute` resolved with.
 * @returns what the job completes with.
 * @example
 * ```ts
 * return encodeResult(await router.execute(call, context));
 * ```
 */
export function encodeResult(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && approvalMarker in value) {
    return { [approvalTag]: { arguments: (value as { arguments?: unknown }).arguments ?? null } };
  }
  return value;
}

/**
 * The outcome a job's return value stands for: the result, or an approval
 * request the invocation actor recognises (`ApprovalRequest.isInstance`).
 *
 * @param returnvalue - the job's return value.
 * @returns what the call's executor resolves with.
 * @example
 * ```ts
 * resolve(decodeResult(job.returnvalue));
 * ```
 */
export function decodeResult(returnvalue: unknown): unknown {
  if (typeof returnvalue === 'object' && returnvalue !== null && !Array.isArray(returnvalue) && Object.hasOwn(returnvalue, approvalTag)) {
    const request = (returnvalue as Record<string, { arguments?: unknown } | undefined>)[approvalTag];
    return { [approvalMarker]: true, arguments: request?.arguments ?? null };
  }
  return returnvalue;
}

/**
 * The queue a tool's jobs go to: its own under a cluster-wide limit, else the shared one.
 *
 * @param queueName - the shared queue.
 * @param tool - the tool's name.
 * @param limits - cluster-wide limits by tool name.
 * @returns the queue's name.
 * @example
 * ```ts
 * queueFor('tools', 'search', { search: 2 }); // 'tools.search'
 * ```
 */
export function queueFor(queueName: string, tool: string, limits: Readonly<Record<string, number>>): string {
  return Object.hasOwn(limits, tool) ? toolQueueName(queueName, tool) : queueName;
}

/**
 * The queue of a tool with a cluster-wide limit. Tool names are `[a-zA-Z0-9_-]`, so this never holds a `:`.
 *
 * @param queueName - the shared queue.
 * @param tool - the tool's name.
 * @returns `<queueName>.<tool>`.
 * @example
 * ```ts
 * toolQueueName('tools', 'search'); // 'tools.search'
 * ```
 */
export function toolQueueName(queueName: string, tool: string): string {
  return `${queueName}.${tool}`;
}

/**
 * The Redis channel the workers of a queue listen on for cancellations.
 *
 * @param prefix - BullMQ's key prefix.
 * @param queueName - the shared queue (tool queues share its channel).
 * @returns the channel's name.
 * @example
 * ```ts
 * cancelChannel('bull', 'tools'); // 'bull:tools:cancel'
 * ```
 */
export function cancelChannel(prefix: string, queueName: string): string {
  return `${prefix}:${queueName}:cancel`;
}

/** A failure as the worker writes it into the job's `failedReason`. */
export interface WireFailure {
  kind: FailureKind;
  message: string;
  /** `ToolCallError.details`, such as zod's issues for `invalidArguments`, when JSON can hold them. */
  details?: unknown;
  /** The job was cancelled by its runner (failFast, timeout, cancel): a re-run should enqueue it again. */
  cancelled?: true;
}

const wireTag = 'xstate-parallel-tools';

/**
 * The `failedReason` of a failed call.
 *
 * @param failure - its kind and message (details, cancelled).
 * @returns the JSON text the worker fails the job with.
 * @example
 * ```ts
 * throw new UnrecoverableError(encodeFailure({ kind: 'error', message: 'boom' }));
 * ```
 */
export function encodeFailure(failure: WireFailure): string {
  return JSON.stringify({ [wireTag]: 1, ...failure });
}

/**
 * Reads a `failedReason`: ours, or BullMQ's own (a job that stalled too often, a lost lock) as kind `error`.
 *
 * @param failedReason - the job's `failedReason`.
 * @returns the failure.
 * @example
 * ```ts
 * decodeFailure(job.failedReason).kind; // 'invalidArguments'
 * ```
 */
export function decodeFailure(failedReason: string | undefined): WireFailure {
  if (failedReason !== undefined && failedReason.startsWith('{')) {
    try {
      const parsed = JSON.parse(failedReason) as Record<string, unknown>;
      if (parsed[wireTag] === 1 && typeof parsed.kind === 'string' && typeof parsed.message === 'string') {
        const failure: WireFailure = { kind: parsed.kind as FailureKind, message: parsed.message };
        if (parsed.details !== undefined) failure.details = parsed.details;
        if (parsed.cancelled === true) failure.cancelled = true;
        return failure;
      }
    } catch {
      // Not ours: fall through.
    }
  }
  return { kind: 'error', message: `the job failed on its worker: ${failedReason || 'no reason given'}` };
}

/** Why a runner cancels jobs: the name and message of the signal's reason. */
export interface CancelReason {
  name: 'TimeoutError' | 'AbortError';
  message: string;
}

/** A cancelled job: its id, and its creation time when the runner knows it (a job added again later is another job). */
export interface CancelledJob {
  id: string;
  timestamp?: number;
}

/** What the runner publishes on the cancel channel. */
export interface CancelMessage extends CancelReason {
  jobs: CancelledJob[];
}

/**
 * Reads a cancel message; `undefined` for anything else.
 *
 * @param text - what came on the cancel channel.
 * @returns the message.
 * @example
 * ```ts
 * decodeCancel('{"name":"AbortError","message":"aborted","jobs":[{"id":"j1"}]}');
 * ```
 */
export function decodeCancel(text: string): CancelMessage | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<CancelMessage>;
    if (!Array.isArray(parsed.jobs) || typeof parsed.message !== 'string') return undefined;
    const jobs = parsed.jobs.filter((job): job is CancelledJob => typeof job === 'object' && job !== null && typeof job.id === 'string');
    return { jobs, name: parsed.name === 'TimeoutError' ? 'TimeoutError' : 'AbortError', message: parsed.message };
  } catch {
    return undefined;
  }
}

/**
 * The cancel reason of an aborted signal: a timeout, or failFast and cancel.
 *
 * @param reason - the signal's `reason`.
 * @returns its name (`TimeoutError` or `AbortError`) and message.
 * @example
 * ```ts
 * cancelReasonOf(new DOMException('late', 'TimeoutError')); // { name: 'TimeoutError', message: 'late' }
 * ```
 */
export function cancelReasonOf(reason: unknown): CancelReason {
  const name = reason instanceof Error || (typeof reason === 'object' && reason !== null && 'name' in reason) ? String((reason as { name: unknown }).name) : '';
  const message = reason instanceof Error || (typeof reason === 'object' && reason !== null && 'message' in reason) ? String((reason as { message: unknown }).message) : '';
  return name === 'TimeoutError'
    ? { name: 'TimeoutError', message: message || 'the tool call timed out' }
    : { name: 'AbortError', message: message || 'the tool call was aborted' };
}
