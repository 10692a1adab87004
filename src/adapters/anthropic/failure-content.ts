/**
 * How a failed call reads in a `tool_result` block: the same
 * `{"error":{"kind","message"}}` JSON the OpenAI format uses under
 * `settleAll`, so both providers see a failure alike.
 */
import { failureKinds, type FailureKind } from '../../index.js';

/**
 * The content of a failed call's `tool_result` block.
 *
 * @param kind - the failure's kind.
 * @param message - the failure's message.
 * @returns `{"error":{"kind","message"}}`.
 * @example
 * ```ts
 * failureContent('timeout', 'timed out after 50 ms'); // '{"error":{"kind":"timeout","message":"timed out after 50 ms"}}'
 * ```
 */
export function failureContent(kind: FailureKind, message: string): string {
  return JSON.stringify({ error: { kind, message } });
}

const knownKinds: ReadonlySet<string> = new Set(failureKinds);

function hasExactKeys(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => own.includes(key));
}

/**
 * Whether a tool message's content is exactly what a failed call becomes
 * (`{"error":{"kind","message"}}` with a known kind): then it is sent with
 * `is_error: true`. Anything else, including other JSON with an `error` key,
 * is a result.
 *
 * @param content - a tool message's content.
 * @returns true for a failure's content.
 * @example
 * ```ts
 * isFailureContent('{"error":{"kind":"error","message":"boom"}}'); // true
 * isFailureContent('{"error":"none"}'); // false
 * ```
 */
export function isFailureContent(content: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return false;
  }
  if (!hasExactKeys(parsed, ['error'])) return false;
  const { error } = parsed;
  return (
    hasExactKeys(error, ['kind', 'message']) &&
    typeof error.kind === 'string' &&
    knownKinds.has(error.kind) &&
    typeof error.message === 'string'
  );
}
