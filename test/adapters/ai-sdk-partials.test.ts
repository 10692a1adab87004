/**
 * Partial results through the AI SDK: a tool set wrapped by
 * `withParallelToolSet` whose tool is an async generator keeps the SDK's
 * preliminary tool results, while the batch reports each as `call.partial`.
 */
import * as v7 from 'ai';
import * as v7test from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { withParallelToolSet } from 'xstate-parallel-tools/ai-sdk';
import type { ToolBatchEmitted } from 'xstate-parallel-tools';
import { streamedStep } from './ai-sdk/sdk-under-test.js';

function model(): InstanceType<typeof v7test.MockLanguageModelV3> {
  let calls = 0;
  return new v7test.MockLanguageModelV3({
    doStream: async () => {
      calls++;
      const chunks = streamedStep(calls, ['a', 'b'].map((key) => ({ id: key, toolName: 'count', input: { upTo: key === 'a' ? 2 : 1 } })));
      return { stream: v7test.simulateReadableStream({ chunks }) } as never;
    },
  });
}

describe('withParallelToolSet with a streaming tool', () => {
  it("yields the SDK's preliminary results in order, then the final one, and the batch reports each as call.partial", async () => {
    const count = v7.tool({
      inputSchema: z.object({ upTo: z.number() }),
      async *execute({ upTo }) {
        for (let n = 1; n <= upTo; n++) yield { n };
      },
    });
    const events: ToolBatchEmitted[] = [];
    const result = v7.streamText({
      model: model(),
      prompt: 'count',
      stopWhen: v7.stepCountIs(3),
      tools: withParallelToolSet({ count }, { concurrency: 1, onEvent: (event) => events.push(event) }),
    });
    const results: unknown[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'tool-result') results.push([part.toolCallId, part.output, part.preliminary === true]);
    }
    expect(await result.text).toBe('done');
    // Per call, in order: each partial as a preliminary result, then the last one as the final result.
    const of = (id: string) => results.filter((r) => (r as unknown[])[0] === id);
    expect(of('a')).toEqual([
      ['a', { n: 1 }, true],
      ['a', { n: 2 }, true],
      ['a', { n: 2 }, false],
    ]);
    expect(of('b')).toEqual([
      ['b', { n: 1 }, true],
      ['b', { n: 1 }, false],
    ]);
    expect(events.filter((e) => e.type === 'call.partial').map((e) => [e.id, (e as { value: unknown }).value])).toEqual([
      ['a', { n: 1 }],
      ['a', { n: 2 }],
      ['b', { n: 1 }],
    ]);
  });
});
