/**
 * The one check for "this value streams": an async iterable, as an async
 * generator function returns and as the AI SDK's `execute` may return.
 *
 * Why a module of its own: what is checked is what a tool returned, and that
 * can be hostile. A `Proxy` whose `get` trap throws, or a getter on
 * `Symbol.asyncIterator`, must not throw out of the check (see marker.ts):
 * such a value is then no stream, and is checked as a result like any other.
 */

/**
 * The value's `[Symbol.asyncIterator]` method, or `undefined` when it has none
 * or reading it throws: checking a value must never throw.
 *
 * @param value - anything, such as what a tool's `execute` returned.
 * @returns the method, to call with the value as `this`; or `undefined`.
 * @example
 * ```ts
 * async function* count() { yield 1; }
 * asyncIteratorMethod(count()); // a function
 * asyncIteratorMethod([1]); // undefined
 * ```
 */
export function asyncIteratorMethod(value: unknown): ((this: unknown) => unknown) | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    const method: unknown = (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator];
    return typeof method === 'function' ? (method as (this: unknown) => unknown) : undefined;
  } catch {
    return undefined;
  }
}
