/**
 * Chat-format building blocks shared by the step-layer, agent and format
 * tests: a user turn, assistant turns with or without tool calls, and `add`.
 */
import { z } from 'zod';
import type { AssistantMessage, ChatMessage, ChatToolCall } from '../../src/core/chat-format.js';
import { defineTool } from '../../src/runtime/tools.js';

export const user: ChatMessage = { role: 'user', content: 'go' };

/** An OpenAI tool call; `args` is the raw argument string, as the model sends it. */
export const toolCall = (id: string, name = 'ctl', args = '{}'): ChatToolCall => ({ id, type: 'function', function: { name, arguments: args } });

/** An assistant turn that asks for tools. */
export const askFor = (...toolCalls: ChatToolCall[]): AssistantMessage => ({ role: 'assistant', content: null, tool_calls: toolCalls });

/** An assistant turn that only answers. */
export const say = (content: string): AssistantMessage => ({ role: 'assistant', content });

export const add = defineTool({
  name: 'add',
  description: 'Adds two numbers',
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => a + b,
});
