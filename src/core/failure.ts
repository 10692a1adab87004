/**
 * How a call failed, as data: the `ToolFailure` of a slot, from whatever a
 * tool threw or rejected with.
 */
import { ToolCallError } from './errors.js';
import type { FailureKind, ToolCall, ToolFailure } from './schemas.js';

/** Builds a `ToolFailure` for one call. */
export function toolFailure(
  index: number,
  call: ToolCall,
  kind: FailureKind,
  message: string,
  error: unknown,
): ToolFailure {
  return { index, id: call.id, name: call.name, kind, message, error };
}

/** Maps whatever a tool threw or rejected with to a failure of the right kind. */
export function failureFromError(index: number, call: ToolCall, error: unknown): ToolFailure {
  if (ToolCallError.isInstance(error)) return toolFailure(index, call, error.kind, error.message, error);
  const message =
    error instanceof Error
      ? error.message || error.name
      : `the tool threw a non-Error value: ${describeThrown(error)}`;
  return toolFailure(index, call, 'error', message, error);
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
