/**
 * Checks that a tool's result survives `JSON.stringify` as the same value.
 *
 * Why a walk and not `JSON.stringify` alone: stringify silently turns
 * functions and `undefined` into nothing, `NaN` into `null`, a `Map` or a
 * `Set` into `{}` and a typed array into `{"0":…}`, so the model would read
 * something other than what the tool returned.
 *
 * The rule, one for every value: the walk does what `JSON.stringify` does
 * (a `toJSON` method is applied once per position, and what it returns is
 * checked without applying its own `toJSON` again), and fails where
 * stringify would change or drop data:
 * - `undefined`, a function, a symbol, a BigInt, `NaN` and `±Infinity`;
 * - a cycle, and nesting deeper than `maxResultDepth` (a `toJSON` that keeps
 *   returning new objects);
 * - any object that is not an array, a plain object, a class instance (its
 *   own enumerable fields are its JSON) or a boxed string, number or boolean:
 *   a `Map`, `Set`, `WeakMap`, `WeakSet`, typed array, `ArrayBuffer`,
 *   `DataView`, `Promise`, `RegExp`, `Error`… keep their data where JSON
 *   cannot see it. The message names the type and the path: `$.items is a Map`.
 *
 * An object with a `toJSON` (a `Date`, a Node `Buffer`, a class that returns
 * `this` from it) is checked as what its `toJSON` returns.
 */

/** How deep a result may nest; deeper fails (JSON.stringify itself overflows the stack a little further down). */
export const maxResultDepth = 1000;

/** `Object.prototype.toString` tags of objects whose own enumerable fields are their whole JSON. */
const faithfulTags = new Set(['Object', 'Array', 'String', 'Number', 'Boolean']);

type PathKey = string | number;

/**
 * Why a value is not JSON, or `undefined` when it is.
 *
 * @param value - a tool's result.
 * @returns `$.items is a Map`, `$.self is a cycle`, `$ is undefined`…, or `undefined`.
 * @throws whatever a getter, a `toJSON` or a `Proxy` trap of the value throws.
 * @example
 * ```ts
 * describeNonJson({ items: new Map() }); // '$.items is a Map'
 * describeNonJson({ a: [1, 'b'] }); // undefined
 * ```
 */
export function describeNonJson(value: unknown): string | undefined {
  // Most results are a primitive or null: they need no path to push to and no set of ancestors.
  if (value === null || typeof value !== 'object') return walk(value, rootPath, noAncestors, true);
  return walk(value, [], new Set(), true);
}

/** The path and ancestors of a top-level primitive, which `walk` only reads. */
const rootPath: PathKey[] = [];
const noAncestors: Set<object> = new Set();

/** `$.a[0].b`, shortened in the middle when it is long. Built only when there is a problem. */
function pathOf(keys: readonly PathKey[]): string {
  const part = (key: PathKey): string =>
    typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  if (keys.length <= 12) return `$${keys.map(part).join('')}`;
  return `$${keys.slice(0, 6).map(part).join('')}…${keys.slice(-5).map(part).join('')}`;
}

function article(word: string): string {
  // `Uint8Array`, `URL`: a U that sounds like "you" takes "a".
  return /^[AEIO]/i.test(word) ? 'an' : 'a';
}

function walk(value: unknown, keys: PathKey[], ancestors: Set<object>, applyToJSON: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${pathOf(keys)} is ${String(value)}, which JSON cannot hold`;
    case 'undefined':
      return `${pathOf(keys)} is undefined`;
    case 'bigint':
      return `${pathOf(keys)} is a BigInt`;
    case 'function':
      return `${pathOf(keys)} is a function`;
    case 'symbol':
      return `${pathOf(keys)} is a symbol`;
  }
  if (value === null) return undefined;
  const object = value as Record<string, unknown>;
  if (applyToJSON) {
    // `in` first, as XState's persistence asks `in` of every object in a context: a Proxy whose
    // `has` trap throws fails here, as a result that cannot be read, not later in a checkpoint.
    const toJSON = 'toJSON' in object ? object.toJSON : undefined;
    if (typeof toJSON === 'function') {
      // As JSON.stringify does: the key is the argument, and what it returns is not converted again.
      const key = keys.length === 0 ? '' : String(keys[keys.length - 1]);
      return walk((toJSON as (key: string) => unknown).call(object, key), keys, ancestors, false);
    }
  }
  if (ancestors.has(object)) return `${pathOf(keys)} is a cycle`;
  if (keys.length >= maxResultDepth) return `${pathOf(keys)} is nested more than ${maxResultDepth} levels deep`;
  const isArray = Array.isArray(object);
  if (!isArray) {
    const prototype: unknown = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const tag = Object.prototype.toString.call(object).slice(8, -1);
      if (!faithfulTags.has(tag)) return `${pathOf(keys)} is ${article(tag)} ${tag}`;
    }
  }
  ancestors.add(object);
  let problem: string | undefined;
  if (isArray) {
    const array = object as unknown as unknown[];
    for (let i = 0; i < array.length && problem === undefined; i++) {
      keys.push(i);
      problem = walk(array[i], keys, ancestors, true);
      keys.pop();
    }
  } else {
    for (const key of Object.keys(object)) {
      const child = object[key];
      // An undefined property is left out by JSON, as TypeScript's optional fields expect.
      if (child === undefined) continue;
      // The `toJSON` method JSON.stringify just applied (or ignores here): not data.
      if (!applyToJSON && key === 'toJSON' && typeof child === 'function') continue;
      keys.push(key);
      problem = walk(child, keys, ancestors, true);
      keys.pop();
      if (problem !== undefined) break;
    }
  }
  ancestors.delete(object);
  return problem;
}
