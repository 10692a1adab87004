/**
 * How the adapter's `TypeError`s show a bad value.
 */

/**
 * Shows a value and its type for an error message, as the batch options' errors do.
 *
 * @param value - any value.
 * @returns e.g. "`weather` (string)", "`Object` (object)", "an array".
 * @example
 * ```ts
 * showValue(0); // '`0` (number)'
 * ```
 */
export function showValue(value: unknown): string {
  if (value === null) return '`null`';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `\`${value.constructor?.name ?? 'Object'}\` (object)`;
  return `\`${String(value)}\` (${typeof value})`;
}
