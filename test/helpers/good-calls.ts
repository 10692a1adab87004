/**
 * The good calls that surround a bad one in the bad-input and hardening
 * tests: an `echo` tool that counts its starts, the calls and outputs it
 * gives, and `failureAmongGood`, which checks that the good outputs survive
 * the one failure.
 */
import { expect } from 'vitest';
import { z } from 'zod';
import { ToolBatchError } from '../../src/core/errors.js';
import type { ToolCall, ToolFailure } from '../../src/core/schemas.js';
import { runToolBatch, type RunToolBatchOptions } from '../../src/runtime/run-tool-batch.js';
import { defineTool, type AnyTool } from '../../src/runtime/tools.js';

/** How many tool runs started; a test sets `count` to 0 to show that nothing ran. */
export const starts = { count: 0 };

export const echo = defineTool({
  name: 'echo',
  description: 'echoes its text',
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => {
    starts.count++;
    return `echo:${text}`;
  },
});

export const good = (i: number): ToolCall => ({ id: `g${i}`, name: 'echo', arguments: { text: `t${i}` } });
export const goodOutput = (i: number): { id: string; result: string } => ({ id: `g${i}`, result: `echo:t${i}` });

/** The batch's rejection; fails the test if it resolves. */
export function rejectionOf(batch: Promise<unknown>): Promise<ToolBatchError> {
  return batch.then(
    (value) => {
      throw new Error(`expected the batch to fail, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error as ToolBatchError,
  );
}

/** Runs `[good 0, bad, good 2]` under joinAll and returns the one failure; the good outputs must survive around it. */
export async function failureAmongGood(bad: Omit<ToolCall, 'id'>, tools: AnyTool[] = [], options: Partial<RunToolBatchOptions> = {}): Promise<ToolFailure> {
  const calls = [good(0), { id: 'bad', ...bad }, good(2)];
  const error = await rejectionOf(runToolBatch(calls, { tools: [echo, ...tools], policy: 'joinAll', ...options } as RunToolBatchOptions));
  expect(ToolBatchError.isInstance(error)).toBe(true);
  expect(error.policy).toBe('joinAll');
  expect(error.outputs).toEqual([goodOutput(0), undefined, goodOutput(2)]);
  expect(error.failures).toHaveLength(1);
  const failure = error.failures[0]!;
  expect([failure.index, failure.id, failure.name]).toEqual([1, 'bad', bad.name]);
  return failure;
}
