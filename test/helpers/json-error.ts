/**
 * This Node.js's `JSON.parse` message for `text`, which is not JSON. The
 * wording differs between Node.js lines (22 and later add the line and column),
 * so tests that show it take it from the runtime they run on.
 *
 * @example
 * ```ts
 * const message = `arguments are not valid JSON: ${jsonErrorOf('{"a":1')}`;
 * ```
 */
export function jsonErrorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new TypeError(`Expected text that is not JSON, got ${JSON.stringify(text)}`);
}
