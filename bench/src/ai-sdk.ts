/**
 * The Vercel AI SDK: one `generateText` step whose mock model (from `ai/test`)
 * returns K tool calls. The timing starts when the model's response is handed
 * back and stops when `generateText` resolves: parsing and validating the
 * calls, running the tools, and building the step's result. The limit is
 * `toolCallConcurrency` (AI SDK 7; its default is no limit, every call at
 * once), and a tool's error becomes a `tool-error` part rather than a rejection.
 */
import { generateText, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { indices, type Outcome, type System } from './job.js';

export const aiSdkSystem: System = {
  prepare: ({ k, concurrency, body }) => {
    const content = indices(k).map((i) => ({
      type: 'tool-call' as const,
      toolCallId: `call_${i}`,
      toolName: 'noop',
      input: JSON.stringify({ i }),
    }));
    let handedBack = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        handedBack = performance.now();
        return {
          content,
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage: {
            inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
            outputTokens: { total: k, text: undefined, reasoning: undefined },
          },
          warnings: [],
        };
      },
    });
    const tools = {
      noop: tool({
        description: 'Resolves with its index',
        inputSchema: z.object({ i: z.number() }),
        execute: ({ i }, { abortSignal }) => body(i, abortSignal),
      }),
    };
    return {
      run: async (): Promise<Outcome> => {
        try {
          const result = await generateText({
            model,
            prompt: 'run the tools',
            tools,
            ...(concurrency !== Infinity && { toolCallConcurrency: concurrency }),
          });
          const ms = performance.now() - handedBack;
          const values = result.content
            .filter((part) => part.type === 'tool-result' || part.type === 'tool-error')
            .map((part) => (part.type === 'tool-result' ? part.output : 'error'));
          return { ms, rejected: false, values };
        } catch {
          return { ms: performance.now() - handedBack, rejected: true, values: undefined };
        }
      },
    };
  },
};
