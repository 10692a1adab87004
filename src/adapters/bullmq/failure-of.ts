/**
 * The `{ kind, message }` a thrown value stands for, on the worker, as the
 * in-process batch reports it: it describes values with the same safe
 * functions (src/core/describe.ts). Never throws, whatever was thrown.
 */
import { ToolCallError, failureKinds } from '../../index.js';
import { describeNonJson } from '../../../machines/json-result.js';
import { describeValue, errorMessage } from '../../core/describe.js';
import type { WireFailure } from './wire.js';

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** A `ToolCallError`'s kind, message and (JSON) details, when they can be read and make sense. */
function ownFailure(error: unknown): WireFailure | undefined {
  if (!ToolCallError.isInstance(error)) return undefined;
  try {
    const { kind, message, details } = error;
    if (!(failureKinds as readonly unknown[]).includes(kind) || typeof message !== 'string') return undefined;
    const failure: WireFailure = { kind, message };
    // zod's issues for invalidArguments travel along; details JSON cannot hold stay behind.
    if (details !== undefined && describeNonJson(details) === undefined) failure.details = details;
    return failure;
  } catch {
    return undefined;
  }
}

/**
 * The failure a thrown value stands for.
 *
 * @param error - whatever the tool threw or rejected with.
 * @returns `{ kind, message, details? }`: a `ToolCallError`'s own kind, else `error`.
 * @example
 * ```ts
 * failureOf(new RangeError('too big')); // { kind: 'error', message: 'too big' }
 * ```
 */
export function failureOf(error: unknown): WireFailure {
  const own = ownFailure(error);
  if (own !== undefined) return own;
  if (isError(error)) return { kind: 'error', message: errorMessage(error) ?? 'the tool threw an Error whose message and name could not be read' };
  return { kind: 'error', message: `the tool threw a non-Error value: ${describeValue(error)}` };
}
