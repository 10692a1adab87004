/**
 * The project's error classes. Each has a stable `name` and a static
 * `isInstance()` that works across copies of the package, where `instanceof`
 * does not.
 */
import type { ChatMessage } from './chat-format.js';
import type { FailureKind, JoinPolicy, ToolFailure, ToolOutput } from './schemas.js';
import { hasMarker } from './marker.js';

const toolCallErrorMarker = Symbol.for('xstate-parallel-tools.ToolCallError');
const toolBatchErrorMarker = Symbol.for('xstate-parallel-tools.ToolBatchError');

/**
 * Thrown by a tool runner to fail one call with a specific kind
 * (`unknownTool`, `invalidArguments`, …). Anything else a tool throws is kind `error`.
 *
 * @example
 * ```ts
 * throw new ToolCallError('unknownTool', 'No tool named "nope"');
 * ```
 */
export class ToolCallError extends Error {
  readonly [toolCallErrorMarker] = true;
  override readonly name = 'ToolCallError';
  /** The failure kind this error maps to. */
  readonly kind: FailureKind;
  /** Extra detail, such as zod's issues for `invalidArguments`. */
  readonly details: unknown;

  constructor(kind: FailureKind, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.details = options.details;
  }

  /** True for any `ToolCallError`, from any copy of this package. */
  static isInstance(value: unknown): value is ToolCallError {
    return hasMarker(value, toolCallErrorMarker);
  }
}

/**
 * The rejection of `runToolBatch` under `joinAll` and `failFast`. Nothing is
 * thrown away: `outputs` keeps every success by index.
 *
 * @example
 * ```ts
 * try { await runToolBatch(calls, { tools }); }
 * catch (error) { if (ToolBatchError.isInstance(error)) console.log(error.failures); }
 * ```
 */
export class ToolBatchError extends Error {
  readonly [toolBatchErrorMarker] = true;
  override readonly name = 'ToolBatchError';
  readonly policy: JoinPolicy;
  /** Failures sorted by index; under `failFast` the first is the one that ended the batch. */
  readonly failures: ToolFailure[];
  /** Every success, at its call's index; `undefined` where the call failed or never ran. */
  readonly outputs: Array<ToolOutput | undefined>;
  /**
   * Set by `withParallelTools`: the conversation so far, ending with the
   * assistant message and a tool message for each call that succeeded, in
   * `tool_calls` order. Failed calls have no reply here (see `failures`).
   * `undefined` when the error comes from `runToolBatch`.
   */
  readonly messages: ChatMessage[] | undefined;

  constructor(
    policy: JoinPolicy,
    failures: ToolFailure[],
    outputs: Array<ToolOutput | undefined>,
    options: { messages?: ChatMessage[] } = {},
  ) {
    const first = failures[0];
    const head = first
      ? `call ${first.index} (${first.name}, id ${first.id}) failed with ${first.kind}: ${first.message}`
      : 'the batch failed';
    const rest = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    super(`Tool batch failed under ${policy}: ${head}${rest}`, { cause: first });
    this.policy = policy;
    this.failures = failures;
    this.outputs = outputs;
    this.messages = options.messages;
  }

  /** True for any `ToolBatchError`, from any copy of this package. */
  static isInstance(value: unknown): value is ToolBatchError {
    return hasMarker(value, toolBatchErrorMarker);
  }
}
