/**
 * The Vercel AI SDK adapter, both ways.
 *
 * 1. `withParallelToolSet`: the SDK runs its own loop (`stopWhen`), and the
 *    calls of each step run as one batch under our limits and policy.
 * 2. `runAiSdkToolCalls`: your own loop; a step's calls come back to you and
 *    one call runs them as a batch and answers with the tool message.
 *
 * Run it with `npx tsx examples/ai-sdk.ts` (a scripted model stands in for a provider).
 */
import { generateText, stepCountIs, tool, type LanguageModel, type ModelMessage } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';
import { defineTool } from 'xstate-parallel-tools';
import { runAiSdkToolCalls, toAiSdkTools, withParallelToolSet } from 'xstate-parallel-tools/ai-sdk';

const celsius = (city: string): number => city.length * 3;

// #region readme
// 1. The SDK's loop, with an AI SDK tool.
const weatherTool = tool({
  description: 'Current temperature of a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }, { abortSignal }) => {
    abortSignal?.throwIfAborted();
    return { city, celsius: celsius(city) };
  },
});

/**
 * Answers with the SDK's own loop; each step's calls run as one batch.
 *
 * @param model - any AI SDK language model.
 * @param prompt - the user's question.
 * @returns the model's final text.
 * @example
 * ```ts
 * const text = await askWithToolSet(openai('gpt-5'), 'Weather in Oslo and Lima?');
 * ```
 */
export async function askWithToolSet(model: LanguageModel, prompt: string): Promise<string> {
  const { text } = await generateText({
    model,
    prompt,
    stopWhen: stepCountIs(5),
    tools: withParallelToolSet({ weather: weatherTool }, { concurrency: 2, policy: 'settleAll', timeoutMs: 5_000 }),
  });
  return text;
}

// 2. Your own loop, with a `defineTool` tool.
const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }, { signal }) => {
    signal.throwIfAborted();
    return { city, celsius: celsius(city) };
  },
});

/**
 * Answers with a hand-written loop: `generateText` returns the calls, `runAiSdkToolCalls` answers them.
 *
 * @param model - any AI SDK language model.
 * @param prompt - the user's question.
 * @returns the model's final text.
 * @example
 * ```ts
 * const text = await askWithOwnLoop(openai('gpt-5'), 'Weather in Oslo and Lima?');
 * ```
 */
export async function askWithOwnLoop(model: LanguageModel, prompt: string): Promise<string> {
  const messages: ModelMessage[] = [{ role: 'user', content: prompt }];
  let step = await generateText({ model, messages, tools: toAiSdkTools([weather]) });
  while (step.toolCalls.length > 0) {
    messages.push(...step.response.messages, await runAiSdkToolCalls(step.toolCalls, { tools: [weather], concurrency: 2, policy: 'settleAll' }));
    step = await generateText({ model, messages, tools: toAiSdkTools([weather]) });
  }
  return step.text;
}
// #endregion readme

/**
 * A scripted model (the SDK's own test double): it asks for the weather in
 * each city at once, then answers from the tool results it was sent.
 *
 * @param cities - the cities the model asks about.
 * @returns the model.
 * @example
 * ```ts
 * await askWithToolSet(scriptedWeatherModel(['Oslo', 'Lima']), 'Weather?');
 * ```
 */
export function scriptedWeatherModel(cities: string[]): MockLanguageModelV4 {
  const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
  return new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      const results = prompt.flatMap((message) => (message.role === 'tool' ? message.content : []));
      if (results.length === 0) {
        return {
          content: cities.map((city, i) => ({ type: 'tool-call', toolCallId: `call_${i + 1}`, toolName: 'weather', input: JSON.stringify({ city }) })),
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage,
          warnings: [],
        };
      }
      const text = results
        .map((part) => (part.type === 'tool-result' && part.output.type === 'json' ? JSON.stringify(part.output.value) : JSON.stringify(part)))
        .join(' ');
      return { content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] };
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await askWithToolSet(scriptedWeatherModel(['Oslo', 'Lima']), 'Weather in Oslo and Lima?'));
  console.log(await askWithOwnLoop(scriptedWeatherModel(['Oslo', 'Lima']), 'Weather in Oslo and Lima?'));
}
