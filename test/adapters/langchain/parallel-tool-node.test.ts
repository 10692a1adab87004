import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createParallelToolNode } from 'xstate-parallel-tools/langchain';
import { controlledLangChainTool } from './controlled-langchain-tool.js';
import { askFor, errorContent, summary } from './messages.js';

describe('createParallelToolNode, called as a function', () => {
  const echo = tool(({ key }) => `echo ${key}`, { name: 'lookup', description: 'Echoes', schema: z.object({ key: z.string() }) });

  it('skips calls that already have a ToolMessage', async () => {
    const node = createParallelToolNode([echo]);
    const { messages } = await node({
      messages: [askFor(['a', 'b', 'c']), new ToolMessage({ tool_call_id: 'b', name: 'lookup', content: 'earlier' })],
    });
    expect(messages.map(summary)).toEqual([
      { type: 'tool', tool_call_id: 'a', name: 'lookup', status: 'success', content: 'echo a' },
      { type: 'tool', tool_call_id: 'c', name: 'lookup', status: 'success', content: 'echo c' },
    ]);
  });

  it('answers invalid_tool_calls after tool_calls, with kind invalidArguments', async () => {
    const node = createParallelToolNode([echo], { policy: 'settleAll' });
    const message = new AIMessage({
      content: '',
      tool_calls: [{ id: 'a', name: 'lookup', args: { key: 'a' } }],
      invalid_tool_calls: [{ id: 'x', name: 'lookup', args: '{"key":', error: 'Unexpected end of JSON input', type: 'invalid_tool_call' }],
    });
    const { messages } = await node({ messages: [message] });
    expect(messages.map(summary)).toEqual([
      { type: 'tool', tool_call_id: 'a', name: 'lookup', status: 'success', content: 'echo a' },
      {
        type: 'tool',
        tool_call_id: 'x',
        name: 'lookup',
        status: 'error',
        content: errorContent('invalidArguments', 'Invalid arguments for "lookup": arguments are not valid JSON: Unexpected end of JSON input'),
      },
    ]);
  });

  it('keeps the artifact of a content_and_artifact tool', async () => {
    const search = tool(({ key }) => [`found ${key}`, { hits: [1, 2] }], {
      name: 'search',
      description: 'Searches',
      schema: z.object({ key: z.string() }),
      responseFormat: 'content_and_artifact',
    });
    const { messages } = await createParallelToolNode([search])({ messages: [askFor(['s'], 'search')] });
    expect(messages.map((m) => [m.tool_call_id, m.content, m.artifact])).toEqual([['s', 'found s', { hits: [1, 2] }]]);
  });

  it('returns no messages when the last AI message asks for nothing', async () => {
    expect(await createParallelToolNode([echo])({ messages: [new AIMessage('hello')] })).toEqual({ messages: [] });
  });

  it('throws a TypeError when there is no AI message', async () => {
    await expect(createParallelToolNode([echo])({ messages: [new HumanMessage('hi')] })).rejects.toThrow(
      new TypeError('Expected an AI message in `state.messages`, found none'),
    );
  });

  it('checks the tools when it is created', () => {
    expect(() => createParallelToolNode([echo, echo])).toThrow(new TypeError('Expected unique tool names, got "lookup" twice'));
  });

  it('rejects invalid batch options with a TypeError before any tool starts', async () => {
    const lookup = controlledLangChainTool();
    await expect(createParallelToolNode([lookup.tool], { concurrency: 0 })({ messages: [askFor(['a'])] })).rejects.toThrow(
      new TypeError('Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `0` (number)'),
    );
    expect(lookup.started).toEqual([]);
  });
});

