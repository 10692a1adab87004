/**
 * How a call failed, as data: the `ToolFailure` of a slot, from whatever a
 * tool threw or rejected with.
 */
import { describeError, errorMessage } from './describe.js';
import { ToolCallError } from './errors.js';
import { isPlainData } from './plain-data.js';
import { failureKinds, type FailureKind, type SettledResult, type ToolCall, type ToolFailure, type ToolOutput } from './schemas.js';

/**
 * Builds a `ToolFailure` for one call.
 *
 * `error` is what the tool threw, as it is. When that value cannot be
 * persisted (a cycle, a hostile `Proxy`: see `isPlainData`), it is kept as a
 * non-enumerable property: `failure.error` still reads it in this process,
 * and snapshots, checkpoints and `JSON.stringify` leave it out instead of
 * failing the run.
 *
 * @example
 * ```ts
 * const failure = toolFailure(0, { id: 'c1', name: 'add', arguments: {} }, 'error', 'boom', new Error('boom'));
 * ```
 */
export function toolFailure(
  index: number,
  call: ToolCall,
  kind: FailureKind,
  message: string,
  error: unknown,
): ToolFailure {
  if (isPlainData(error)) return { index, id: call.id, name: call.name, kind, message, error };
  const failure = { index, id: call.id, name: call.name, kind, message } as ToolFailure;
  Object.defineProperty(failure, 'error', { value: error, enumerable: false, writable: false, configurable: true });
  return failure;
}

/**
 * Maps whatever a tool threw or rejected with to a failure of the right kind.
 * Never throws, whatever `error` is: a value whose inspection throws (a
 * hostile `Proxy`, an `Error` with a throwing `message` getter) fails the call
 * with kind `error` and a generic message (see describe.ts).
 */
export function failureFromError(index: number, call: ToolCall, error: unknown): ToolFailure {
  const own = ownKind(error);
  if (own !== undefined) return toolFailure(index, call, own.kind, own.message, error);
  const message = errorMessage(error) ?? `the tool threw ${describeError(error)}`;
  return toolFailure(index, call, 'error', message, error);
}

/** A `ToolCallError`'s kind and message, when both can be read and make sense. */
function ownKind(error: unknown): { kind: FailureKind; message: string } | undefined {
  if (!ToolCallError.isInstance(error)) return undefined;
  try {
    const { kind, message } = error;
    if ((failureKinds as readonly unknown[]).includes(kind) && typeof message === 'string') return { kind, message };
  } catch {
    // A getter that throws: treat it like any other thrown value.
  }
  return undefined;
}

/** What a call that failFast stopped before it ran tells the model. */
export const notRunMessage = 'no result: the tool batch ended before this call settled';

/**
 * Every call's settled result from a failed batch (a `ToolBatchError`'s
 * `failures` and `outputs`), so that an adapter answers every call the model
 * made: a success, its failure, or kind `aborted` for a call the batch never
 * settled (failFast leaves queued calls unstarted).
 *
 * @param calls - the batch's calls, in order.
 * @param failed - `failures` (by `index`) and `outputs` (with gaps) of the failed batch.
 * @returns one `SettledResult` per call, in order.
 * @example
 * ```ts
 * settledResultsOf(calls, error); // [{ ok: false, failure }, { ok: false, failure: { kind: 'aborted', … } }]
 * ```
 */
export function settledResultsOf(
  calls: readonly ToolCall[],
  failed: { readonly failures: readonly ToolFailure[]; readonly outputs: readonly (ToolOutput | undefined)[] },
): SettledResult[] {
  const failures = new Map(failed.failures.map((failure) => [failure.index, failure]));
  return calls.map((call, index): SettledResult => {
    const output = failed.outputs[index];
    if (output !== undefined) return { ok: true, output };
    return { ok: false, failure: failures.get(index) ?? toolFailure(index, call, 'aborted', notRunMessage, undefined) };
  });
}
