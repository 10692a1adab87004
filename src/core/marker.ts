/**
 * The one check behind every `isInstance()`: a class of ours carries a
 * `Symbol.for` marker, which works across copies of the package where
 * `instanceof` does not.
 *
 * Why a module of its own: what is checked is often what a tool returned or
 * threw, and that can be hostile. A `Proxy` whose `has` trap throws, checked
 * with a bare `marker in value`, threw inside the invocation actor's promise
 * callback and killed the process. Every marker check goes through here.
 */

/**
 * `marker in value`, false for anything else, and for a `Proxy` whose `has`
 * trap throws (or a revoked one): checking a value must never throw.
 *
 * @param value - anything.
 * @param marker - the class's `Symbol.for` marker.
 * @returns whether `value` carries the marker.
 * @example
 * ```ts
 * hasMarker(error, Symbol.for('xstate-parallel-tools.ToolCallError'));
 * ```
 */
export function hasMarker(value: unknown, marker: symbol): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return marker in value;
  } catch {
    return false;
  }
}
