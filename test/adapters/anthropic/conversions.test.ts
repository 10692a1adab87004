import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToolRouter, defineTool, runToolBatch, ToolBatchError, type ChatMessage, type ToolBatchEmitted } from 'xstate-parallel-tools';
import {
  fromToolUseBlocks,
  toAnthropicMessages,
  toAnthropicTools,
  toAssistantMessage,
  toToolResultMessage,
  type AnthropicMessageLike,
} from 'xstate-parallel-tools/anthropic';
import { controlledWeather, toolUse, until, weather, weatherTool } from './helpers.js';

describe('fromToolUseBlocks', () => {
  it('converts tool_use blocks to ToolCalls in block order, skipping text, thinking and server tool blocks', () => {
    const message: AnthropicMessageLike = {
      content: [
        { type: 'thinking', thinking: '…', signature: 's' } as { type: string },
        { type: 'text', text: 'Checking both.' },
        toolUse('toolu_b', 'Lima'),
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } as { type: string },
        toolUse('toolu_a', 'Oslo'),
      ],
    };
    expect(fromToolUseBlocks(message)).toEqual([
      { id: 'toolu_b', name: 'weather', arguments: { city: 'Lima' } },
      { id: 'toolu_a', name: 'weather', arguments: { city: 'Oslo' } },
    ]);
  });

  it('finds no calls in string content, and throws a TypeError for a malformed tool_use block or a message without content', () => {
    expect(fromToolUseBlocks({ content: 'just text' })).toEqual([]);
    expect(() => fromToolUseBlocks({ content: [{ type: 'text', text: 'a' }, { type: 'tool_use', id: '', name: 'weather' } as { type: string }] })).toThrow(
      new TypeError('Expected the tool_use block at content[1] to have a non-empty string `id` and `name`'),
    );
    expect(() => fromToolUseBlocks(null as unknown as AnthropicMessageLike)).toThrow(
      new TypeError('Expected an Anthropic message with `content` (a string or an array of blocks), got null'),
    );
  });
});

describe('toToolResultMessage', () => {
  it('preserves block order when later calls finish first', async () => {
    const { tool, open } = controlledWeather();
    const message = { content: [toolUse('toolu_1', 'Reykjavik'), toolUse('toolu_2', 'Oslo'), toolUse('toolu_3', 'Lima')] };
    const settled: string[] = [];
    const batch = runToolBatch(fromToolUseBlocks(message), {
      tools: [tool],
      onEvent: (event: ToolBatchEmitted) => {
        if (event.type === 'call.settled') settled.push(event.id);
      },
    });
    // Finish in reverse order, one at a time.
    for (const [city, id] of [['Lima', 'toolu_3'], ['Oslo', 'toolu_2'], ['Reykjavik', 'toolu_1']] as const) {
      open(city);
      await until(() => settled.includes(id));
    }
    expect(settled).toEqual(['toolu_3', 'toolu_2', 'toolu_1']);
    expect(toToolResultMessage(message, await batch)).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Reykjavik","celsius":27}' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"city":"Oslo","celsius":12}' },
        { type: 'tool_result', tool_use_id: 'toolu_3', content: '{"city":"Lima","celsius":12}' },
      ],
    });
  });

  it('answers settleAll failures with is_error blocks carrying the kind and message', async () => {
    const message = {
      content: [
        toolUse('toolu_1', 'Oslo'),
        toolUse('toolu_2', 'Atlantis'),
        { type: 'tool_use', id: 'toolu_3', name: 'forecast', input: {} },
        { type: 'tool_use', id: 'toolu_4', name: 'weather', input: { town: 'Lima' } },
      ],
    };
    const results = await runToolBatch(fromToolUseBlocks(message), { tools: [weather], policy: 'settleAll' });
    expect(toToolResultMessage(message, results)).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"error":{"kind":"error","message":"no weather station in Atlantis"}}', is_error: true },
        {
          type: 'tool_result',
          tool_use_id: 'toolu_3',
          content: '{"error":{"kind":"unknownTool","message":"No tool named \\"forecast\\" (known tools: \\"weather\\")"}}',
          is_error: true,
        },
        {
          type: 'tool_result',
          tool_use_id: 'toolu_4',
          content:
            '{"error":{"kind":"invalidArguments","message":"Invalid arguments for \\"weather\\": ✖ Invalid input: expected string, received undefined;   → at city"}}',
          is_error: true,
        },
      ],
    });
  });

  it('answers every block from a failFast ToolBatchError: the failure, the call it aborted, the call it never started', async () => {
    const { tool, state, fail } = controlledWeather();
    const message = { content: [toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima'), toolUse('toolu_3', 'Reykjavik')] };
    const batch = runToolBatch(fromToolUseBlocks(message), { tools: [tool], concurrency: 2 }).catch((error: unknown) => error);
    await until(() => state.running === 2);
    fail('Lima', new Error('station offline'));
    const error = await batch;
    expect(ToolBatchError.isInstance(error)).toBe(true);
    expect(state.started).toEqual(['Oslo', 'Lima']);
    const expected = [
      {
        type: 'tool_result',
        tool_use_id: 'toolu_1',
        content: '{"error":{"kind":"aborted","message":"aborted before it settled: the batch ended"}}',
        is_error: true,
      },
      { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"error":{"kind":"error","message":"station offline"}}', is_error: true },
      {
        type: 'tool_result',
        tool_use_id: 'toolu_3',
        content: '{"error":{"kind":"aborted","message":"no result: the tool batch ended before this call settled"}}',
        is_error: true,
      },
    ];
    expect(toToolResultMessage(message, error as ToolBatchError)).toEqual({ role: 'user', content: expected });
  });

  it('keeps the successes of ToolBatchError.outputs and answers its gaps as aborted', async () => {
    const message = { content: [toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Atlantis'), toolUse('toolu_3', 'Lima')] };
    const error = (await runToolBatch(fromToolUseBlocks(message), { tools: [weather], policy: 'joinAll' }).catch((e: unknown) => e)) as ToolBatchError;
    expect(error.outputs).toEqual([{ id: 'toolu_1', result: { city: 'Oslo', celsius: 12 } }, undefined, { id: 'toolu_3', result: { city: 'Lima', celsius: 12 } }]);
    expect(toToolResultMessage(message, error.outputs).content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
      {
        type: 'tool_result',
        tool_use_id: 'toolu_2',
        content: '{"error":{"kind":"aborted","message":"no result: the tool batch ended before this call settled"}}',
        is_error: true,
      },
      { type: 'tool_result', tool_use_id: 'toolu_3', content: '{"city":"Lima","celsius":12}' },
    ]);
    // The error itself keeps the failure's own kind and message.
    expect(toToolResultMessage(message, error).content[1]).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_2',
      content: '{"error":{"kind":"error","message":"no weather station in Atlantis"}}',
      is_error: true,
    });
  });

  it('throws a TypeError for an outcome that belongs to another call, or more outcomes than calls', () => {
    const message = { content: [toolUse('toolu_1', 'Oslo')] };
    expect(() => toToolResultMessage(message, [{ id: 'toolu_9', result: 1 }])).toThrow(
      new TypeError('Expected the outcome at index 0 to be for tool_use "toolu_1", got one for "toolu_9"'),
    );
    expect(() => toToolResultMessage(message, [{ id: 'toolu_1', result: 1 }, { id: 'toolu_2', result: 2 }])).toThrow(
      new TypeError('Expected at most 1 outcome(s), one per tool_use block, got 2'),
    );
  });
});

describe('toAnthropicTools', () => {
  it("gives { name, description, input_schema } from the router's JSON Schema, for tools or a router", () => {
    const add = defineTool({
      name: 'add',
      description: 'Adds two numbers',
      parameters: z.object({ a: z.number(), b: z.number().optional() }),
      execute: ({ a, b = 0 }) => a + b,
    });
    const expected = [
      weatherTool,
      {
        name: 'add',
        description: 'Adds two numbers',
        input_schema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a'] },
      },
    ];
    expect(toAnthropicTools([weather, add])).toEqual(expected);
    expect(toAnthropicTools(createToolRouter([weather, add]))).toEqual(expected);
  });

  it('throws a TypeError for a tool whose input is not an object', () => {
    const echo = defineTool({ name: 'echo', description: 'Echoes', parameters: z.string(), execute: (text) => text });
    expect(() => toAnthropicTools([echo])).toThrow(
      new TypeError('Expected the parameters of tool "echo" to be an object schema (Anthropic tool input is an object), got JSON Schema type "string"'),
    );
  });
});

describe('toAnthropicMessages and toAssistantMessage', () => {
  it('puts the system prompt apart and merges consecutive tool messages into one user message of tool_result blocks', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'now', arguments: '' } },
          { id: 'toolu_3', type: 'function', function: { name: 'weather', arguments: '{"city":"Atlantis"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
      { role: 'tool', tool_call_id: 'toolu_2', content: '{"error":"none"}' },
      { role: 'tool', tool_call_id: 'toolu_3', content: '{"error":{"kind":"error","message":"no weather station in Atlantis"}}' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_4', type: 'function', function: { name: 'weather', arguments: '{"city":"Lima"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_4', content: '{"city":"Lima","celsius":12}' },
      { role: 'system', content: 'Answer in one line.' },
      { role: 'assistant', content: 'Oslo 12°C.' },
      { role: 'user', content: 'Thanks' },
    ];
    expect(toAnthropicMessages(messages)).toEqual({
      system: 'Be terse.\n\nAnswer in one line.',
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
            { type: 'tool_use', id: 'toolu_2', name: 'now', input: {} },
            { type: 'tool_use', id: 'toolu_3', name: 'weather', input: { city: 'Atlantis' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"error":"none"}' },
            { type: 'tool_result', tool_use_id: 'toolu_3', content: '{"error":{"kind":"error","message":"no weather station in Atlantis"}}', is_error: true },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_4', name: 'weather', input: { city: 'Lima' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_4', content: '{"city":"Lima","celsius":12}' }] },
        { role: 'assistant', content: 'Oslo 12°C.' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    expect(toAnthropicMessages([{ role: 'user', content: 'Hi' }])).toEqual({ messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('throws a TypeError for tool call arguments that are not JSON', () => {
    const messages: ChatMessage[] = [{ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":' } }] }];
    expect(() => toAnthropicMessages(messages)).toThrow(
      new TypeError('Expected the arguments of tool call "call_1" (weather) to be JSON, as Anthropic needs an input object: Unexpected end of JSON input'),
    );
  });

  it('turns text blocks into content and tool_use blocks into tool_calls in block order, skipping other blocks', () => {
    expect(
      toAssistantMessage({
        content: [
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } as { type: string },
          { type: 'text', text: 'Checking ' },
          toolUse('toolu_2', 'Lima'),
          { type: 'text', text: 'both.' },
          toolUse('toolu_1', 'Oslo'),
        ],
      }),
    ).toEqual({
      role: 'assistant',
      content: 'Checking both.',
      tool_calls: [
        { id: 'toolu_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Lima"}' } },
        { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
      ],
    });
    expect(toAssistantMessage({ content: [toolUse('toolu_1', 'Oslo')] }).content).toBeNull();
    expect(toAssistantMessage({ content: [{ type: 'text', text: 'Done.' }] })).toEqual({ role: 'assistant', content: 'Done.' });
  });
});
