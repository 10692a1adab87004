/**
 * Describing values that anyone may have thrown, returned or passed: the one
 * place where an unknown value is turned into text.
 *
 * Why a module of its own: a thrown value can be hostile. An `Error` whose
 * `message` is a getter that throws, a `Proxy` whose every trap throws, an
 * object whose `toString`, `Symbol.toPrimitive` and prototype lookups throw:
 * reading any of them inside a promise callback raised an unhandled rejection
 * and left the call's slot unsettled. Every function here reads the value one
 * guarded step at a time and ends in a constant, so it never throws.
 */

/** What is shown for a value that could not be read at all. */
const undescribable = 'a value that could not be described';

/** Longest description kept of a thrown value; the rest is cut, with `…`. */
const maxDescriptionLength = 200;

function cut(text: string): string {
  return text.length > maxDescriptionLength ? `${text.slice(0, maxDescriptionLength)}…` : text;
}

/** `Array.isArray`, which throws for a revoked `Proxy`: `false` then. */
function isArraySafely(value: unknown): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** `instanceof Error`, which runs a Proxy's getPrototypeOf trap: `false` when that throws. */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/**
 * The message of an `Error` (its `name` when the message is empty), read
 * without ever throwing.
 *
 * @param error - anything that was thrown.
 * @returns the message, or `undefined` when `error` is not an `Error` or its
 *   message and name cannot be read as strings.
 * @example
 * ```ts
 * errorMessage(new RangeError()); // 'RangeError'
 * errorMessage('oops'); // undefined
 * ```
 */
export function errorMessage(error: unknown): string | undefined {
  if (!isError(error)) return undefined;
  for (const key of ['message', 'name'] as const) {
    try {
      const text: unknown = error[key];
      if (typeof text === 'string' && text !== '') return text;
    } catch {
      // A getter that throws: try the next field.
    }
  }
  return undefined;
}

/**
 * A short description of any value, for messages: `"oops"` for a string,
 * `10n` for a BigInt, `undefined`, `[object Object]` or the object's own
 * `toString`, its JSON when that says more. Never throws.
 *
 * @param value - anything.
 * @returns at most about 200 characters.
 * @example
 * ```ts
 * describeValue('oops'); // '"oops"'
 * describeValue({ code: 42 }); // '{"code":42}'
 * describeValue(new Proxy({}, { get() { throw new Error('no'); } })); // 'a value that could not be described'
 * ```
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return cut(JSON.stringify(value));
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'symbol':
      // String() of a symbol is its descriptive string: no user code runs.
      return String(value);
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  let text: string | undefined;
  try {
    text = String(value);
  } catch {
    // toString, valueOf or Symbol.toPrimitive threw.
  }
  if (text === undefined || text === '[object Object]') {
    try {
      const json = JSON.stringify(value);
      if (typeof json === 'string' && json !== '{}') text = json;
    } catch {
      // A cycle, a BigInt, a throwing getter or toJSON: keep what we have.
    }
  }
  if (text === undefined) {
    try {
      text = Object.prototype.toString.call(value);
    } catch {
      // Its Symbol.toStringTag lookup threw.
    }
  }
  return text === undefined ? undescribable : cut(text);
}

/**
 * How a thrown value reads in a message: an `Error`'s message (or name), or
 * `a non-Error value: …` with `describeValue`. Never throws.
 *
 * @param error - anything that was thrown or rejected with.
 * @returns the text to put in a failure's `message`.
 * @example
 * ```ts
 * describeError(new Error('boom')); // 'boom'
 * describeError(undefined); // 'a non-Error value: undefined'
 * ```
 */
export function describeError(error: unknown): string {
  if (isError(error)) return errorMessage(error) ?? 'an Error whose message and name could not be read';
  return `a non-Error value: ${describeValue(error)}`;
}

/**
 * A value and its type, as option errors show them, in the style of p-limit:
 * `` `0` (number) ``, `` `"3"` (string) ``, `` `an object` (object) ``. Never throws.
 *
 * @param value - the value the caller passed.
 * @returns the value (objects by kind only) and its type, each in backticks or parentheses.
 * @example
 * ```ts
 * showValue(0); // '`0` (number)'
 * showValue([1]); // '`an array` (array)'
 * ```
 */
export function showValue(value: unknown): string {
  const isArray = isArraySafely(value);
  let shown: string;
  if (typeof value === 'string') shown = cut(JSON.stringify(value));
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) shown = String(value);
  else if (typeof value === 'symbol') shown = String(value);
  else if (isArray) shown = 'an array';
  else if (typeof value === 'function') shown = 'a function';
  else shown = 'an object';
  const type = value === null ? 'null' : isArray ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}
