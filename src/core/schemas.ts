/**
 * Data shapes shared by the machines and the runtime API.
 *
 * Plain types and the lists that define the failure kinds and policies once,
 * as data. No runtime dependency: the machines and every adapter share them.
 */

/**
 * One tool call as the model asked for it. `id` and `name` are non-empty
 * strings (checked before a batch starts); ids are unique within a batch.
 *
 * @example
 * ```ts
 * const call: ToolCall = { id: 'call_1', name: 'add', arguments: { a: 1, b: 2 } };
 * ```
 */
export interface ToolCall {
  id: string;
  name: string;
  /** Any JSON value, as the model sent it (the chat format parses its argument string first). */
  arguments: unknown;
}

/** The result of one successful call, keyed by the call's id. */
export interface ToolOutput {
  id: string;
  result: unknown;
}

/** Every way a single call can fail. Defined once, as data. */
export const failureKinds = [
  'error',
  'timeout',
  'unknownTool',
  'invalidArguments',
  'invalidResult',
  'aborted',
  'denied',
  'cancelled',
] as const;
export type FailureKind = (typeof failureKinds)[number];

/** Why one call failed, and where it sat in the batch. */
export interface ToolFailure {
  index: number;
  id: string;
  name: string;
  kind: FailureKind;
  message: string;
  error: unknown;
  /** How many times the call ran before it failed, when it was retried (2 or more). */
  attempts?: number;
}

/**
 * The join policies, defined once, as data.
 * - `joinAll`: run everything; fail at the end if anything failed.
 * - `failFast`: the first failure in time ends the batch and aborts the rest.
 * - `settleAll`: run everything; always succeed with a per-call result.
 */
export const joinPolicies = ['joinAll', 'failFast', 'settleAll'] as const;
export type JoinPolicy = (typeof joinPolicies)[number];

/** One call's outcome under `settleAll`. */
export type SettledResult = { ok: true; output: ToolOutput } | { ok: false; failure: ToolFailure };

/** Options shared by the batch machine, `runToolBatch` and the step layer. */
export interface BatchOptions {
  /** Most calls running at once. Type: integer ≥ 1 or `Infinity` (at most 256 at once, see `unlimitedRunningCalls`). Default: `Infinity`. */
  concurrency?: number;
  /** How failures end the batch. Default: `'failFast'`. */
  policy?: JoinPolicy;
  /** Per-call timeout in ms (a tool's own `timeoutMs` wins). Type: number > 0 or `Infinity`; above `maxTimeoutMs` means none. Default: none. */
  timeoutMs?: number;
  /** Most calls running at once per tool name. Default: `{}` (no per-tool limit). */
  perToolConcurrency?: Record<string, number>;
  /** Retries for every call whose tool has no `retry` of its own. Default: none. */
  retry?: RetryOptions;
}

/**
 * How a failed call is tried again. The delay before attempt `n + 1` is
 * `min(initialDelayMs · factor^(n−1), maxDelayMs)`, minus up to `jitter` of it
 * at random. Plain data, so that it survives JSON with a persisted batch.
 *
 * @example
 * ```ts
 * const retry: RetryOptions = { attempts: 3, initialDelayMs: 200, factor: 2, maxDelayMs: 5_000 };
 * ```
 */
export interface RetryOptions {
  /** The most times a call runs, the first included. Type: integer ≥ 1. */
  attempts: number;
  /** The delay before the second attempt, in ms. Type: number ≥ 0. */
  initialDelayMs: number;
  /** What each later delay is multiplied by. Default: `2`. */
  factor?: number;
  /** The longest delay, in ms. Default: `30_000`. */
  maxDelayMs?: number;
  /** The share of each delay taken off at random, from 0 to 1, so that retries spread out. Default: `0`. */
  jitter?: number;
  /** The failure kinds that are retried. Default: `['error', 'timeout']`; never `invalidArguments`, `unknownTool`, `invalidResult` or `denied`. */
  retryOn?: FailureKind[];
}

/** `BatchOptions` with every default filled in. */
export interface ResolvedBatchOptions {
  concurrency: number;
  policy: JoinPolicy;
  timeoutMs: number | undefined;
  perToolConcurrency: Record<string, number>;
  retry: RetryOptions | undefined;
}
