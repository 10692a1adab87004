/**
 * A tool whose every call waits until the test settles it, so tests decide
 * the order of completions exactly, with no timers.
 */
import { z } from 'zod';
import type { ToolCall } from '../../src/core/schemas.js';
import { defineTool, type Tool } from '../../src/runtime/tools.js';

export interface ControlledCall {
  id: string;
  signal: AbortSignal;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface ControlledTool {
  tool: Tool<z.ZodUnknown, unknown>;
  /** Call ids in the order the tool started them. */
  started: string[];
  /** Calls started and not yet settled by the test, by id. */
  pending: Map<string, ControlledCall>;
  /** Most calls pending at once. */
  readonly peak: number;
  resolve(id: string, value?: unknown): void;
  reject(id: string, error: unknown): void;
}

export function controlledTool(name = 'ctl', timeoutMs?: number): ControlledTool {
  const started: string[] = [];
  const pending = new Map<string, ControlledCall>();
  let peak = 0;
  const tool = defineTool({
    name,
    description: 'settled by the test',
    parameters: z.unknown(),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: (_args, { call, signal }) =>
      new Promise<unknown>((resolve, reject) => {
        started.push(call.id);
        pending.set(call.id, { id: call.id, signal, resolve, reject });
        peak = Math.max(peak, pending.size);
      }),
  });
  const take = (id: string): ControlledCall => {
    const call = pending.get(id);
    if (!call) throw new Error(`call ${id} is not pending (pending: ${[...pending.keys()].join(', ')})`);
    pending.delete(id);
    return call;
  };
  return {
    tool,
    started,
    pending,
    get peak() {
      return peak;
    },
    resolve: (id, value = id) => take(id).resolve(value),
    reject: (id, error) => take(id).reject(error),
  };
}

/** Lets promise callbacks and the actors they wake run to quiescence. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `count` calls of tool `name`, with ids `${prefix}0`, `${prefix}1`, … and arguments `{ i }`. */
export function callsFor(name: string, count: number, prefix = 'c'): ToolCall[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, name, arguments: { i } }));
}
