/**
 * Values that a snapshot can hold safely, and a plain-JSON copy of anything.
 *
 * Why: a failure keeps what the tool threw (`failure.error`), and that can be
 * anything: an HTTP client's error with a socket in it (a cycle), a `Proxy`
 * whose traps throw. XState's `getPersistedSnapshot()` walks the context
 * (`for…in`, `in`) and overflowed its stack on a cycle; `JSON.stringify`
 * throws on both. A durable run's checkpoint or a paused run's `state` then
 * failed the whole run. `isPlainData` tells such a value apart, so that a
 * failure can keep it out of what is persisted; `jsonCopy` copies whatever
 * is left, never throwing.
 */
import { describeError } from './describe.js';

/**
 * Copies `value` as plain JSON, never throwing.
 *
 * @param value - a snapshot, or anything.
 * @returns what `JSON.parse(JSON.stringify(value))` gives; parts it cannot read become
 *   `"[unreadable: …]"`, cycles `"[cycle]"`.
 * @example
 * ```ts
 * const error = new Error('socket hang up') as Error & { self?: unknown };
 * error.self = error;
 * jsonCopy({ failure: { error } }); // { failure: { error: { self: '[cycle]' } } }
 * ```
 */
export function jsonCopy(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return walk(value, new Set());
  }
}

function walk(value: unknown, ancestors: Set<object>): unknown {
  try {
    if (typeof value === 'bigint') return `[unreadable: ${value}n is a BigInt]`;
    if (typeof value !== 'object' || value === null) {
      // What JSON.stringify does with each primitive, and with functions and symbols (left out).
      return typeof value === 'number' && !Number.isFinite(value) ? null : typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
    }
    if (ancestors.has(value)) return '[cycle]';
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return walk(toJSON.call(value), ancestors);
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, ancestors) ?? null);
      // defineProperty, not assignment: `__proto__` is an ordinary key, as JSON.parse makes it.
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const item = walk((value as Record<string, unknown>)[key], ancestors);
        if (item !== undefined) Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      }
      return out;
    } finally {
      ancestors.delete(value);
    }
  } catch (error) {
    return `[unreadable: ${describeError(error)}]`;
  }
}

/** The most objects `isPlainData` reads before it calls a value too large to persist. */
const maxPlainNodes = 10_000;

/**
 * Whether `value` can be persisted as it is: reading it as XState's
 * persistence and `JSON.stringify` do (`toJSON`, every enumerable key, `in`)
 * throws nowhere, meets no cycle, and stays under 10,000 objects.
 *
 * @param value - anything, such as what a tool threw.
 * @returns `false` for a hostile `Proxy`, a cycle, a BigInt or a huge graph.
 * @example
 * ```ts
 * isPlainData(new Error('boom')); // true
 * const error = new Error('socket hang up') as Error & { self?: unknown };
 * error.self = error;
 * isPlainData(error); // false
 * ```
 */
export function isPlainData(value: unknown): boolean {
  let budget = maxPlainNodes;
  const ancestors = new Set<object>();
  const read = (part: unknown): boolean => {
    if (typeof part === 'bigint') return false;
    if (typeof part !== 'object' || part === null) return true;
    if (ancestors.has(part) || --budget < 0) return false;
    ancestors.add(part);
    try {
      // What XState's persistence asks of every object in a context.
      void ('sessionId' in part);
      const toJSON: unknown = (part as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return read(toJSON.call(part));
      for (const key in part) if (!read((part as Record<string, unknown>)[key])) return false;
      return true;
    } catch {
      return false;
    } finally {
      ancestors.delete(part);
    }
  };
  return read(value);
}
