/**
 * An OpenAI Agents SDK agent whose weather look-ups run through one batch per
 * turn: at most two at once, each within 5 s, and a failed look-up reported to
 * the model as `{"error":{"kind","message"}}` while the others go on.
 *
 * Run it with `OPENAI_API_KEY=… npx tsx examples/openai-agents.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Agent, run, type Model } from '@openai/agents';
import { z } from 'zod';
import { defineTool } from 'xstate-parallel-tools';
import { toAgentTools } from 'xstate-parallel-tools/openai-agents';

/** Looks up a city's temperature; it has no station in Atlantis. */
export const weather = defineTool({
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
 * The agent, on the given model (default: the SDK's default OpenAI model).
 *
 * @param model - a model name or a `Model`.
 * @returns the agent.
 * @example
 * ```ts
 * const result = await run(createForecaster(), 'How warm is it in Oslo and Lima?');
 * ```
 */
// #region readme
export function createForecaster(model?: string | Model): Agent {
  return new Agent({
    name: 'Forecaster',
    instructions: 'Answer with the temperature of every city the user asks about.',
    ...(model === undefined ? {} : { model }),
    tools: toAgentTools([weather], { perToolConcurrency: { weather: 2 }, timeoutMs: 5_000, policy: 'settleAll' }),
  });
}
// #endregion readme

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run(createForecaster(), 'How warm is it in Oslo, Atlantis and Lima?');
  console.log(result.finalOutput);
}
