/**
 * Up-front validation of batch options and calls. Everything here throws a
 * `TypeError` that names the field, the value and its type, before any tool
 * starts, in the style of p-limit.
 */
import { joinPolicies, type BatchOptions, type ResolvedBatchOptions, type ToolCall } from './schemas.js';

/** `0 (number)`, `"3" (string)`, `undefined (undefined)`. */
export function showValue(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    shown = String(value);
  else if (Array.isArray(value)) shown = 'an array';
  else if (typeof value === 'function') shown = 'a function';
  else shown = 'an object';
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}

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
  if (typeof options !== 'object' || options === null) throw expected('options', 'an object', options);
  const { concurrency = Infinity, policy = 'failFast', timeoutMs, perToolConcurrency = {} } = options;
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
  return { concurrency, policy, timeoutMs, perToolConcurrency };
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
