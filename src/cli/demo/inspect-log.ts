/**
 * XState inspection events as JSON lines, for the CLI's `--inspect <file>`:
 * one event per line, to examine a run after the fact (`jq`, a notebook, a
 * diff of two runs).
 *
 * Inspection events hold live objects: actor refs (with their whole system),
 * snapshots with their machine, errors, abort signals. `toJsonSafe` keeps
 * what can be read as data and names what it drops.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const maxDepth = 32;

function isActorRef(value: object): value is AnyActorRef {
  const candidate = value as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return typeof candidate.sessionId === 'string' && typeof candidate.send === 'function' && typeof candidate.getSnapshot === 'function';
}

/**
 * Converts any value to JSON data: an actor ref becomes `{ id, sessionId }`,
 * an `Error` `{ name, message }` plus its own fields, `toJSON()` is honoured
 * (snapshots drop their machine that way), a cycle becomes `"[Circular]"`,
 * `Infinity` and `NaN` become strings, a BigInt `"12n"`, and functions,
 * symbols and `undefined` properties are left out.
 *
 * @param value - anything.
 * @returns JSON data that `JSON.stringify` turns back into the same text every time.
 * @example
 * ```ts
 * toJsonSafe({ limit: Infinity, error: new Error('boom'), run: () => 1 });
 * // { limit: 'Infinity', error: { name: 'Error', message: 'boom' } }
 * ```
 */
export function toJsonSafe(value: unknown): JsonValue {
  const ancestors = new Set<object>();
  const convert = (input: unknown): JsonValue | undefined => {
    if (input === null || typeof input === 'boolean' || typeof input === 'string') return input;
    if (typeof input === 'number') return Number.isFinite(input) ? input : String(input);
    if (typeof input === 'bigint') return `${input}n`;
    if (typeof input !== 'object') return undefined; // undefined, functions, symbols
    if (ancestors.has(input)) return '[Circular]';
    // toJSON may return a fresh object each time (state nodes do), which no identity check catches.
    if (ancestors.size >= maxDepth) return '[Too deep]';
    if (isActorRef(input)) return { id: input.id, sessionId: input.sessionId };
    ancestors.add(input);
    try {
      if (typeof (input as { toJSON?: unknown }).toJSON === 'function') return convert((input as { toJSON(): unknown }).toJSON());
      if (Array.isArray(input)) return input.map((item) => convert(item) ?? null);
      if (input instanceof Map) return convert([...input]) ?? null;
      if (input instanceof Set) return convert([...input]) ?? null;
      // Null-prototype: keys come from tool arguments and results, where `__proto__` is an ordinary key.
      const out: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
      if (input instanceof Error) {
        out.name = input.name;
        out.message = input.message;
      }
      for (const [key, item] of Object.entries(input)) {
        const converted = convert(item);
        if (converted !== undefined) out[key] = converted;
      }
      return out;
    } finally {
      ancestors.delete(input);
    }
  };
  return convert(value) ?? null;
}

/**
 * One inspection event as a JSON line. `@xstate.actor` lines also carry the
 * actor's `parentId` and `src` (the logic's name, such as `runTool`);
 * `@xstate.microstep` lines carry `transitions` as `{ eventType, source, target }` state node ids.
 *
 * @param event - an event from XState's `inspect` observer.
 * @returns one line of JSON, without the newline.
 * @example
 * ```ts
 * createActor(machine, { inspect: (event) => lines.push(inspectionLine(event)) });
 * ```
 */
export function inspectionLine(event: InspectionEvent): string {
  // A microstep's transitions point into the machine definition: keep their event, source and targets only.
  const { _transitions: transitions, ...rest } = event as InspectionEvent & { _transitions?: unknown };
  const data = toJsonSafe(rest) as { [key: string]: JsonValue };
  if (Array.isArray(transitions)) {
    data.transitions = transitions.map((transition: { eventType: string; source: { id: string }; target?: Array<{ id: string }> }) => ({
      eventType: transition.eventType,
      source: transition.source.id,
      target: transition.target?.map((node) => node.id) ?? null,
    }));
  }
  if (event.type === '@xstate.actor') {
    const actor = event.actorRef as AnyActorRef & { _parent?: AnyActorRef; src?: unknown };
    if (actor._parent !== undefined) data.parentId = actor._parent.id;
    if (typeof actor.src === 'string') data.src = actor.src;
  }
  return JSON.stringify(data);
}

/**
 * An inspection observer that hands each event, as a JSON line with its newline, to `write`.
 *
 * @param write - where lines go, such as `(line) => writeSync(fd, line)`.
 * @returns the observer to pass as `inspect`.
 * @example
 * ```ts
 * const fd = openSync('out/inspect.jsonl', 'w');
 * await runAgent({ model, tools, messages, inspect: createInspectionLog((line) => writeSync(fd, line)) });
 * ```
 */
export function createInspectionLog(write: (line: string) => void): (event: InspectionEvent) => void {
  return (event) => {
    let line: string;
    try {
      line = inspectionLine(event);
    } catch (error) {
      // Inspection must never break the run it watches: record what could not be written instead.
      line = JSON.stringify({ type: event.type, unserializable: error instanceof Error ? error.message : String(error) });
    }
    write(`${line}\n`);
  };
}
