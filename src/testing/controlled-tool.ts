/**
 * A tool whose every call parks until the test settles it, so a test decides
 * the order in which calls finish exactly, with no timers. With `stream: true`
 * its `execute` is an async generator that yields what the test hands it.
 */
import { z } from 'zod';
import { defineTool, type Tool } from '../runtime/tools.js';
import type { ToolParameters } from '../runtime/tool-schema.js';

/** One parked call. */
export interface ControlledCall {
  id: string;
  /** The arguments the tool got, parsed. */
  args: unknown;
  /** The call's abort signal: aborted on timeout, failFast or cancel. */
  signal: AbortSignal;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Options of `createControlledTool`. */
export interface ControlledToolOptions {
  /** The tool's name. Default: `'ctl'`. */
  name?: string;
  /** Its parameters. Default: any value. */
  parameters?: ToolParameters;
  /** Its own timeout in ms. Default: the batch's. */
  timeoutMs?: number;
  /**
   * Make `execute` an async generator: `partial(id, value)` makes call `id` yield `value`,
   * `resolve` makes it return, `reject` makes it throw. Like the promise form, it ignores its
   * signal, so a stopped call ends only through the generator's `return()`. Default: `false`.
   */
  stream?: boolean;
}

/** A controlled tool and the handles to drive it. */
export interface ControlledTool {
  tool: Tool<ToolParameters, unknown>;
  /** Call ids in the order the tool started them. */
  readonly started: readonly string[];
  /** Calls started and not yet settled by the test, by id. */
  readonly pending: ReadonlyMap<string, ControlledCall>;
  /** Ids of the calls running now (started, not yet settled by the test), in start order. */
  readonly running: readonly string[];
  /** The most calls that ran at once. */
  readonly peak: number;
  /** The signal of call `id` (started at some point). */
  signal(id: string): AbortSignal;
  /** Fulfils call `id` with `value` (default: the id). */
  resolve(id: string, value?: unknown): void;
  /** Rejects call `id` with `error`. */
  reject(id: string, error: unknown): void;
  /** With `stream: true`, makes call `id` yield `value`; it stays pending. */
  partial(id: string, value: unknown): void;
  /** With `stream: true`, the ids of the calls whose generator ended (its `finally` ran), in that order. */
  readonly closed: readonly string[];
}

/**
 * Creates a controlled tool.
 *
 * @param options - `name`, `parameters`, `timeoutMs`.
 * @returns the tool and its handles: `started`, `running`, `peak`, `signal(id)`, `resolve`, `reject`.
 * @example
 * ```ts
 * const ctl = createControlledTool({ name: 'search' });
 * const batch = runToolBatch(calls, { tools: [ctl.tool], concurrency: 2 });
 * await new Promise((resolve) => setImmediate(resolve));
 * ctl.resolve('c1', 'second first');
 * ```
 */
export function createControlledTool(options: ControlledToolOptions = {}): ControlledTool {
  const { name = 'ctl', parameters = z.unknown(), timeoutMs, stream = false } = options;
  const started: string[] = [];
  const pending = new Map<string, ControlledCall>();
  const signals = new Map<string, AbortSignal>();
  const closed: string[] = [];
  /** Per streaming call, what the test handed it and the generator has not taken yet, and who waits for it. */
  const steps = new Map<string, { queue: Array<{ value: unknown } | { result: unknown } | { error: unknown }>; wake?: () => void }>();
  let peak = 0;
  const park = (args: unknown, call: { id: string }, signal: AbortSignal, resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
    started.push(call.id);
    signals.set(call.id, signal);
    pending.set(call.id, { id: call.id, args, signal, resolve, reject });
    peak = Math.max(peak, pending.size);
  };
  async function* streamCall(args: unknown, call: { id: string }, signal: AbortSignal): AsyncGenerator<unknown, unknown> {
    const inbox: { queue: Array<{ value: unknown } | { result: unknown } | { error: unknown }>; wake?: () => void } = { queue: [] };
    steps.set(call.id, inbox);
    const push = (step: { result: unknown } | { error: unknown }): void => {
      inbox.queue.push(step);
      inbox.wake?.();
    };
    park(args, call, signal, (result) => push({ result }), (error) => push({ error }));
    try {
      for (;;) {
        while (inbox.queue.length === 0) await new Promise<void>((wake) => (inbox.wake = wake));
        const step = inbox.queue.shift()!;
        if ('value' in step) yield step.value;
        else if ('result' in step) return step.result;
        else throw step.error;
      }
    } finally {
      pending.delete(call.id);
      closed.push(call.id);
    }
  }
  const tool = defineTool<ToolParameters, unknown>({
    name,
    description: 'settled by the test',
    parameters,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: (args, { call, signal }) =>
      stream ? streamCall(args, call, signal) : new Promise<unknown>((resolve, reject) => park(args, call, signal, resolve, reject)),
  });
  const take = (id: string): ControlledCall => {
    const call = pending.get(id);
    if (!call) throw new Error(`call ${id} is not pending (pending: ${[...pending.keys()].join(', ') || 'none'})`);
    pending.delete(id);
    return call;
  };
  return {
    tool,
    started,
    pending,
    get running() {
      return [...pending.keys()];
    },
    get peak() {
      return peak;
    },
    signal: (id) => {
      const signal = signals.get(id);
      if (signal === undefined) throw new Error(`call ${id} never started`);
      return signal;
    },
    resolve: (id, value = id) => take(id).resolve(value),
    reject: (id, error) => take(id).reject(error),
    partial: (id, value) => {
      const inbox = steps.get(id);
      if (!stream || inbox === undefined || !pending.has(id)) throw new Error(`call ${id} is not a pending stream`);
      inbox.queue.push({ value });
      inbox.wake?.();
    },
    closed,
  };
}
