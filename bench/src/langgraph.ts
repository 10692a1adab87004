/**
 * LangGraph.js `ToolNode`, fed an `AIMessage` with K `tool_calls`. It starts
 * every call at once (`Promise.all`); it has no concurrency limit, and it
 * turns a tool's error into an error `ToolMessage` rather than rejecting.
 */
import { AIMessage, type ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';
import { indices, timed, type System } from './job.js';

export const langGraphSystem: System = {
  prepare: ({ k, body }) => {
    const noop = tool(async ({ i }) => String(await body(i)), {
      name: 'noop',
      description: 'Resolves with its index',
      schema: z.object({ i: z.number() }),
    });
    const node = new ToolNode([noop]);
    const message = new AIMessage({
      content: '',
      tool_calls: indices(k).map((i) => ({ id: `call_${i}`, name: 'noop', args: { i }, type: 'tool_call' as const })),
    });
    return {
      run: async () => {
        const outcome = await timed(async () => {
          const { messages } = (await node.invoke({ messages: [message] })) as { messages: ToolMessage[] };
          return messages;
        });
        const values = outcome.values?.map((m) => {
          const content = (m as ToolMessage).content;
          return (m as ToolMessage).status === 'error' ? 'error' : Number(content);
        });
        return { ...outcome, values };
      },
    };
  },
};
