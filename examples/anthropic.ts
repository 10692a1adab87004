/**
 * Claude with a weather tool: each turn's `tool_use` blocks run as one batch,
 * at most 2 at once, 5 s per call, failures answered as `is_error` results.
 * Two ways: your own Messages API loop (`askClaude`), or `runAgent` with
 * Claude as its model (`askWithRunAgent`).
 * Run it with `ANTHROPIC_API_KEY=… npx tsx examples/anthropic.ts`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { defineTool, runAgent } from 'xstate-parallel-tools';
import { createAnthropicModel, runToolUses, toAnthropicTools } from 'xstate-parallel-tools/anthropic';

const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }, { signal }) => {
    signal.throwIfAborted();
    if (city === 'Atlantis') throw new Error(`no weather station in ${city}`);
    return { city, celsius: city.length * 3 };
  },
});

/**
 * Your own tool-use loop on the Messages API, with the adapter running each turn's tool calls.
 *
 * @param client - an Anthropic client, e.g. `new Anthropic()`.
 * @param question - what the user asks.
 * @returns the last response (the one without tool calls) and the conversation.
 * @example
 * ```ts
 * const { response } = await askClaude(new Anthropic(), 'Which is colder, Oslo or Lima?');
 * ```
 */
// #region readme
export async function askClaude(client: Anthropic, question: string) {
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: question }];
  const tools = toAnthropicTools([weather]);
  for (;;) {
    const response = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 1024, tools, messages });
    const reply = await runToolUses(response, { tools: [weather], concurrency: 2, timeoutMs: 5_000, policy: 'settleAll' });
    if (reply === null) return { response, messages };
    messages.push({ role: 'assistant', content: response.content }, reply);
  }
}

/**
 * The same with `runAgent`: Claude is the agent loop's model.
 *
 * @param client - an Anthropic client, e.g. `new Anthropic()`.
 * @param question - what the user asks.
 * @returns `runAgent`'s output: status, the conversation in chat format, per-step usage.
 * @example
 * ```ts
 * const { status, messages } = await askWithRunAgent(new Anthropic(), 'Which is colder, Oslo or Lima?');
 * ```
 */
export function askWithRunAgent(client: Anthropic, question: string) {
  const model = createAnthropicModel({ client, model: 'claude-sonnet-4-6', maxTokens: 1024 });
  return runAgent({ model, tools: [weather], messages: [{ role: 'user', content: question }], concurrency: 2, timeoutMs: 5_000, policy: 'settleAll' });
}
// #endregion readme

if (process.argv[1]?.endsWith('anthropic.ts')) {
  const { response } = await askClaude(new Anthropic(), 'Which is colder: Oslo, Lima or Atlantis?');
  console.log(response.content);
}
