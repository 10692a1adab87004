/**
 * Up-front validation of batch options and calls. Everything here throws a
 * `TypeError` that names the field, the value and its type, before any tool
 * starts, in the style of p-limit.
 */
import { joinPolicies, type BatchOptions, type FailureKind, type RetryOptions, type ResolvedBatchOptions, type ToolCall } from './schemas.js';
import { showValue } from './describe.js';
import { assertKnownKeys } from './option-keys.js';

export { showValue } from './describe.js';

/**
 * Every key `BatchOptions` may hold, in one place: `resolveBatchOptions`
 * rejects any other, naming the closest of these.
 */
export const batchOptionKeys = ['concurrency', 'policy', 'timeoutMs', 'perToolConcurrency', 'retry'] as const;

/**
 * Every key of the batch machine's input (`ToolBatchInput`), in one place.
 * `assertToolBatchInput` rejects any other.
 */
export const toolBatchInputKeys = ['calls', 'options', 'notifyParent', 'runId'] as const;

function expected(field: string, what: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${field}\` to be ${what}, got ${showValue(value)}`);
}

/** True for an integer from 1 up, or `Infinity`. */
export function isConcurrency(value: unknown): value is number {
  return value === Infinity || (typeof value === 'number' && Number.isInteger(value) && value >= 1);
}

/** True for a usable timeout: a number above 0 (Infinity means none). */
export function isTimeout(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value) && value > 0;
}

/**
 * Validates batch options and fills in the defaults.
 *
 * @param options - what the caller passed.
 * @returns every option resolved: `concurrency` Infinity, `policy` failFast.
 * @example
 * ```ts
 * resolveBatchOptions({ concurrency: 4 }); // { concurrency: 4, policy: 'failFast', ... }
 * ```
 */
export function resolveBatchOptions(options: BatchOptions = {}): ResolvedBatchOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw expected('options', 'an object', options);
  assertKnownKeys(options, batchOptionKeys);
  const { concurrency = Infinity, policy = 'failFast', timeoutMs, perToolConcurrency = {}, retry } = options;
  if (retry !== undefined) assertRetryOptions(retry, 'retry');
  if (!isConcurrency(concurrency)) throw expected('concurrency', 'an integer from 1 and up or `Infinity`', concurrency);
  if (!(joinPolicies as readonly unknown[]).includes(policy)) {
    throw expected('policy', `one of ${joinPolicies.map((p) => `'${p}'`).join(', ')}`, policy);
  }
  if (timeoutMs !== undefined && !isTimeout(timeoutMs)) {
    throw expected('timeoutMs', 'a number of milliseconds above 0, or `Infinity`', timeoutMs);
  }
  if (typeof perToolConcurrency !== 'object' || perToolConcurrency === null || Array.isArray(perToolConcurrency)) {
    throw expected('perToolConcurrency', 'an object of tool name to limit', perToolConcurrency);
  }
  for (const [name, limit] of Object.entries(perToolConcurrency)) {
    if (!isConcurrency(limit)) {
      throw expected(`perToolConcurrency.${name}`, 'an integer from 1 and up or `Infinity`', limit);
    }
  }
  return { concurrency, policy, timeoutMs, perToolConcurrency, retry };
}

const retryKinds: readonly FailureKind[] = ['error', 'timeout', 'aborted'];

/**
 * Checks retry options: `attempts` an integer ≥ 1, delays numbers ≥ 0,
 * `factor` ≥ 1, `jitter` from 0 to 1, `retryOn` a list of retryable kinds.
 *
 * @param retry - what the caller passed.
 * @param field - the option's name in messages (`retry`, `retry of tool "x"`).
 * @throws `TypeError` naming the field, the value and its type.
 * @example
 * ```ts
 * assertRetryOptions({ attempts: 3, initialDelayMs: 100 }, 'retry');
 * ```
 */
export function assertRetryOptions(retry: unknown, field: string): asserts retry is RetryOptions {
  if (typeof retry !== 'object' || retry === null || Array.isArray(retry)) throw expected(field, 'an object `{ attempts, initialDelayMs, … }`', retry);
  const { attempts, initialDelayMs, factor, maxDelayMs, jitter, retryOn } = retry as Record<string, unknown>;
  const nonNegative = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;
  if (!(typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 1)) throw expected(`${field}.attempts`, 'an integer from 1 and up', attempts);
  if (!nonNegative(initialDelayMs)) throw expected(`${field}.initialDelayMs`, 'a number of milliseconds from 0', initialDelayMs);
  if (factor !== undefined && !(nonNegative(factor) && (factor as number) >= 1)) throw expected(`${field}.factor`, 'a number from 1 and up', factor);
  if (maxDelayMs !== undefined && !nonNegative(maxDelayMs)) throw expected(`${field}.maxDelayMs`, 'a number of milliseconds from 0', maxDelayMs);
  if (jitter !== undefined && !(nonNegative(jitter) && (jitter as number) <= 1)) throw expected(`${field}.jitter`, 'a number from 0 to 1', jitter);
  if (retryOn !== undefined && !(Array.isArray(retryOn) && retryOn.every((kind) => retryKinds.includes(kind as FailureKind)))) {
    throw expected(`${field}.retryOn`, `a list of ${retryKinds.map((kind) => `'${kind}'`).join(', ')}`, retryOn);
  }
}

/**
 * Validates a batch's calls: an array of `{ id, name, arguments }` with
 * non-empty string ids and names, and unique ids.
 *
 * @param calls - what the caller passed.
 * @returns the same array, typed.
 * @example
 * ```ts
 * assertToolCalls([{ id: 'a', name: 'add', arguments: {} }]);
 * ```
 */
export function assertToolCalls(calls: unknown): asserts calls is ToolCall[] {
  if (!Array.isArray(calls)) throw expected('calls', 'an array of tool calls', calls);
  const seen = new Set<string>();
  for (let i = 0; i < calls.length; i++) {
    const call: unknown = calls[i];
    if (typeof call !== 'object' || call === null || Array.isArray(call)) {
      throw expected(`calls[${i}]`, 'an object `{ id, name, arguments }`', call);
    }
    const { id, name } = call as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') throw expected(`calls[${i}].id`, 'a non-empty string', id);
    if (typeof name !== 'string' || name === '') throw expected(`calls[${i}].name`, 'a non-empty string', name);
    if (seen.has(id)) throw new TypeError(`Expected unique call ids, got \`${JSON.stringify(id)}\` twice (calls[${i}].id)`);
    seen.add(id);
  }
}

/**
 * Checks the batch machine's whole input before anything starts: `calls`,
 * `options` (with `resolveBatchOptions`), `notifyParent` and `runId`, and
 * that it has no other key.
 *
 * @param input - what the machine was started with.
 * @throws `TypeError` naming the field, the value and its type; for an
 *   unknown key, the closest known key.
 * @example
 * ```ts
 * assertToolBatchInput({ calls: [], options: { concurrency: 2 }, notifyParent: true });
 * ```
 */
export function assertToolBatchInput(input: unknown): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw expected('input', 'an object `{ calls, options?, notifyParent?, runId? }`', input);
  }
  assertKnownKeys(input, toolBatchInputKeys, "in the batch machine's input");
  const { calls, options, notifyParent, runId } = input as Record<string, unknown>;
  assertToolCalls(calls);
  resolveBatchOptions(options as BatchOptions | undefined);
  if (notifyParent !== undefined && typeof notifyParent !== 'boolean') throw expected('notifyParent', 'a boolean', notifyParent);
  if (runId !== undefined && (typeof runId !== 'string' || runId === '')) throw expected('runId', 'a non-empty string', runId);
}
