/**
 * Checks that a tool's result survives `JSON.stringify` as the same value.
 *
 * Why a walk and not `JSON.stringify` alone: stringify silently turns
 * functions and `undefined` into nothing and `NaN` into `null`, so the model
 * would read something other than what the tool returned.
 */

/** Why a value is not JSON, or `undefined` when it is. */
export function describeNonJson(value: unknown): string | undefined {
  return walk(value, '$', new Set());
}

function walk(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)}, which JSON cannot hold`;
    case 'undefined':
      return `${path} is undefined`;
    case 'bigint':
      return `${path} is a BigInt`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
  }
  if (value === null) return undefined;
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof object.toJSON === 'function') {
    return walk((object.toJSON as () => unknown)(), path, seen);
  }
  if (seen.has(object)) return `${path} is a cycle`;
  seen.add(object);
  let problem: string | undefined;
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length && problem === undefined; i++) {
      problem = walk(object[i], `${path}[${i}]`, seen);
    }
  } else {
    for (const key of Object.keys(object)) {
      const child = object[key];
      // An undefined property is left out by JSON, as TypeScript's optional fields expect.
      if (child === undefined) continue;
      problem = walk(child, `${path}.${key}`, seen);
      if (problem !== undefined) break;
    }
  }
  seen.delete(object);
  return problem;
}
