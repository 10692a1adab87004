/**
 * Mastra's `Agent`, offline: its model is the AI SDK's `MockLanguageModelV3`
 * (from `ai/test`), whose first response holds K tool calls and whose second
 * is a final text. `toolCallConcurrency` is the limit (Mastra's default is 10).
 * The timing starts when the first response is handed back and stops when the
 * agent asks the model again with the tool results: the tool-execution part
 * of one step. A tool's error goes back to the model as the call's result,
 * not a rejection.
 */
import { Agent } from '@mastra/core/agent';
import { createTool } from '@mastra/core/tools';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { indices, type Outcome, type System } from './job.js';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

export const mastraSystem: System = {
  prepare: ({ k, concurrency, body }) => {
    const calls = indices(k).map((i) => ({ type: 'tool-call' as const, toolCallId: `call_${i}`, toolName: 'noop', input: JSON.stringify({ i }) }));
    let handedBack = 0;
    let askedAgain = 0;
    let turn = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        if (turn++ % 2 === 0) {
          handedBack = performance.now();
          return { content: calls, finishReason: { unified: 'tool-calls', raw: undefined }, usage, warnings: [] };
        }
        askedAgain = performance.now();
        return { content: [{ type: 'text', text: 'done' }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] };
      },
    });
    const noop = createTool({
      id: 'noop',
      description: 'Resolves with its index',
      inputSchema: z.object({ i: z.number() }),
      execute: async ({ i }) => body(i),
    });
    const agent = new Agent({ id: 'bench', name: 'bench', instructions: 'Run the tools.', model, tools: { noop } });
    return {
      run: async (): Promise<Outcome> => {
        try {
          const result = await agent.generate('Run the tools.', {
            maxSteps: 2,
            toolCallConcurrency: concurrency === Infinity ? k : concurrency,
          });
          const ms = askedAgain - handedBack;
          const values = result.toolResults.map((part) => {
            const payload = (part as { payload?: { result?: unknown; isError?: boolean } }).payload;
            return payload?.isError === true ? 'error' : payload?.result;
          });
          return { ms, rejected: false, values };
        } catch {
          return { ms: performance.now() - handedBack, rejected: true, values: undefined };
        }
      },
    };
  },
};
