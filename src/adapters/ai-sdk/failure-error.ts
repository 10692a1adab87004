/**
 * A batch failure as the error a tool's `execute` throws inside the SDK's loop.
 */
import { ToolCallError, type ToolFailure } from '../../index.js';

/**
 * A `ToolCallError` whose text is its message alone. The SDK turns a thrown
 * error into the model's `error-text`: major 6 reads `error.message`, major 7
 * `String(error)`. Without the override the model would read
 * "ToolCallError: …" on one major and "…" on the other.
 */
class BatchFailureError extends ToolCallError {
  override toString(): string {
    return this.message;
  }
}

/**
 * The error that stands for one call's failure: a `ToolCallError` with the
 * failure's `kind` and `message`, the failure itself as `details` and its cause as `cause`.
 *
 * @param failure - the call's failure from the batch.
 * @returns the error to reject the call with.
 * @example
 * ```ts
 * throw failureError(failure); // error.kind === 'timeout'
 * ```
 */
export function failureError(failure: ToolFailure): ToolCallError {
  return new BatchFailureError(failure.kind, failure.message, { details: failure, cause: failure.error });
}

/**
 * The error for a call the batch never started (it failed fast first).
 *
 * @param name - the call's tool name.
 * @returns a `ToolCallError` of kind `aborted`.
 * @example
 * ```ts
 * throw notStartedError('weather');
 * ```
 */
export function notStartedError(name: string): ToolCallError {
  return new BatchFailureError('aborted', `not started: the batch ended before "${name}" ran`);
}
