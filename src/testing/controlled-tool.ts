/**
 * A tool whose every call parks until the test settles it, so a test decides
 * the order in which calls finish exactly, with no timers.
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
  const { name = 'ctl', parameters = z.unknown(), timeoutMs } = options;
  const started: string[] = [];
  const pending = new Map<string, ControlledCall>();
  const signals = new Map<string, AbortSignal>();
  let peak = 0;
  const tool = defineTool<ToolParameters, unknown>({
    name,
    description: 'settled by the test',
    parameters,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: (args, { call, signal }) =>
      new Promise<unknown>((resolve, reject) => {
        started.push(call.id);
        signals.set(call.id, signal);
        pending.set(call.id, { id: call.id, args, signal, resolve, reject });
        peak = Math.max(peak, pending.size);
      }),
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
  };
}
