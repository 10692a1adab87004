/**
 * A LangGraph agent whose tools node runs the model's tool calls as one batch:
 * at most 2 at once, 5 s per call, failures answered as error tool messages.
 * Run it with `npx tsx examples/langchain.ts`.
 */
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { toolsCondition } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';
import { createParallelToolNode } from 'xstate-parallel-tools/langchain';

const weather = tool(
  async ({ city }, config) => {
    config.signal?.throwIfAborted();
    if (city === 'Atlantis') throw new Error(`no weather station in ${city}`);
    return { city, celsius: city.length * 3 };
  },
  { name: 'weather', description: 'Current temperature of a city', schema: z.object({ city: z.string() }) },
);

/**
 * Builds the agent graph around a chat model that has the tools bound.
 *
 * @param model - e.g. `new ChatOpenAI({ model: 'gpt-4.1' }).bindTools([weather])`.
 * @example
 * ```ts
 * const { messages } = await weatherAgent(model).invoke({ messages: [new HumanMessage('Oslo or Lima?')] });
 * ```
 */
// #region readme
export function weatherAgent(model: { invoke(messages: BaseMessage[]): Promise<BaseMessage> }) {
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', async ({ messages }) => ({ messages: [await model.invoke(messages)] }))
    .addNode('tools', createParallelToolNode([weather], { concurrency: 2, policy: 'settleAll', timeoutMs: 5_000 }))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent')
    .compile();
}
// #endregion readme

/**
 * A scripted model standing in for a real one: it asks for three look-ups, then answers.
 *
 * @example
 * ```ts
 * await weatherAgent(scriptedModel()).invoke({ messages: [new HumanMessage('Which is coldest?')] });
 * ```
 */
export function scriptedModel() {
  return fakeModel()
    .respond(
      new AIMessage({
        content: '',
        tool_calls: ['Oslo', 'Atlantis', 'Lima'].map((city, i) => ({ id: `call_${i + 1}`, name: 'weather', args: { city } })),
      }),
    )
    .respond(new AIMessage('Oslo and Lima are both 12°C; Atlantis has no weather station.'));
}

if (process.argv[1]?.endsWith('langchain.ts')) {
  const { messages } = await weatherAgent(scriptedModel()).invoke({ messages: [new HumanMessage('Which city is coldest?')] });
  for (const message of messages) console.log(`${message.getType()}: ${message.text}`);
}
