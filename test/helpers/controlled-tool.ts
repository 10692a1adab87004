/**
 * A tool whose every call waits until the test settles it, so tests decide
 * the order of completions exactly, with no timers.
 */
import type { ToolCall } from '../../src/core/schemas.js';
import { createControlledTool, type ControlledTool } from '../../src/testing/controlled-tool.js';

export type { ControlledCall, ControlledTool } from '../../src/testing/controlled-tool.js';

/** The testing kit's controlled tool, by name and timeout: the shape most tests here need. */
export function controlledTool(name = 'ctl', timeoutMs?: number): ControlledTool {
  return createControlledTool({ name, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}

/** Lets promise callbacks and the actors they wake run to quiescence. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `count` calls of tool `name`, with ids `${prefix}0`, `${prefix}1`, … and arguments `{ i }`. */
export function callsFor(name: string, count: number, prefix = 'c'): ToolCall[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, name, arguments: { i } }));
}
