import { APIUserAbortError, BadRequestError } from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { runAgent } from '../../src/runtime/agent.js';
import { createOpenAIModel } from '../../src/adapters/openai/openai-model.js';
import type { ChatMessage } from '../../src/core/chat-format.js';
import { createToolRouter, defineTool } from '../../src/runtime/tools.js';
import { startReplyServer, type Reply } from '../helpers/reply-server.js';

/** A tiny OpenAI-compatible server on 127.0.0.1 that answers each request with the next reply. */
async function startServer(replies: Reply[]) {
  const server = await startReplyServer(replies, (index) => ({ error: { message: `no reply ${index}` } }));
  return { ...server, baseURL: `${server.origin}/v1` };
}

/** A chat.completion body with one choice. */
function completion(message: Record<string, unknown>, usage = { prompt_tokens: 30, completion_tokens: 7 }) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'test-model',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, finish_reason: 'stop', logprobs: null }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, celsius: city.length * 3 }),
});
const weatherSpec = {
  type: 'function',
  function: {
    name: 'weather',
    description: 'Current temperature of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const user: ChatMessage = { role: 'user', content: 'Weather in Oslo and Lima?' };
const signal = () => new AbortController().signal;
const toolCalls = [
  { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
  { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Lima"}' } },
];

describe('createOpenAIModel', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  beforeEach(() => {
    server = undefined;
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
  });

  it("sends the conversation, the tools' JSON schemas and parallel_tool_calls, and returns the parsed tool_calls and usage", async () => {
    server = await startServer([{ body: completion({ content: null, tool_calls: toolCalls }) }]);
    const model = createOpenAIModel({ model: 'test-model', baseURL: server.baseURL, apiKey: 'sk-test' });
    expect(model.name).toBe('openai:test-model');
    const answer = await model.complete({ messages: [user], tools: createToolRouter([weather]).toolSpecs, signal: signal() });
    expect(answer).toEqual({
      message: { role: 'assistant', content: null, tool_calls: toolCalls },
      usage: { promptTokens: 30, completionTokens: 7 },
    });
    expect(server.seen).toHaveLength(1);
    const [request] = server.seen;
    expect([request!.method, request!.url, request!.headers.authorization]).toEqual(['POST', '/v1/chat/completions', 'Bearer sk-test']);
    expect(request!.body).toEqual({ model: 'test-model', messages: [user], tools: [weatherSpec], parallel_tool_calls: true });
  });

  it('sends parallel_tool_calls: false when asked, and no tools or parallel_tool_calls without tools', async () => {
    server = await startServer([{ body: completion({ content: 'hi' }) }, { body: completion({ content: 'hi' }) }]);
    const serial = createOpenAIModel({ model: 'm', baseURL: server.baseURL, apiKey: 'k', parallelToolCalls: false });
    await serial.complete({ messages: [user], tools: createToolRouter([weather]).toolSpecs, signal: signal() });
    const answer = await serial.complete({ messages: [user], tools: [], signal: signal() });
    expect(answer).toEqual({ message: { role: 'assistant', content: 'hi' }, usage: { promptTokens: 30, completionTokens: 7 } });
    expect(server.seen.map((request) => request.body)).toEqual([
      { model: 'm', messages: [user], tools: [weatherSpec], parallel_tool_calls: false },
      { model: 'm', messages: [user] },
    ]);
  });

  it('takes baseURL and apiKey from OPENAI_BASE_URL and OPENAI_API_KEY by default', async () => {
    server = await startServer([{ body: completion({ content: 'from env' }) }]);
    vi.stubEnv('OPENAI_BASE_URL', server.baseURL);
    vi.stubEnv('OPENAI_API_KEY', 'sk-env');
    const answer = await createOpenAIModel({ model: 'm' }).complete({ messages: [user], tools: [], signal: signal() });
    expect(answer.message).toEqual({ role: 'assistant', content: 'from env' });
    expect(server.seen[0]!.headers.authorization).toBe('Bearer sk-env');
  });

  it('aborts the request when the signal aborts', async () => {
    server = await startServer(['hang']);
    const model = createOpenAIModel({ model: 'm', baseURL: server.baseURL, apiKey: 'k', maxRetries: 0 });
    const controller = new AbortController();
    const answer = model.complete({ messages: [user], tools: [], signal: controller.signal }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(server!.seen).toHaveLength(1));
    controller.abort();
    const error = await answer;
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect((error as Error).message).toBe('Request was aborted.');
    await vi.waitFor(() => expect(server!.closed).toEqual([0]));
  });

  it('rejects with the client error when the server fails', async () => {
    server = await startServer([{ status: 400, body: { error: { message: 'bad model', type: 'invalid_request_error' } } }]);
    const model = createOpenAIModel({ model: 'm', baseURL: server.baseURL, apiKey: 'k', maxRetries: 0 });
    const error = await model.complete({ messages: [user], tools: [], signal: signal() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect([(error as BadRequestError).status, (error as BadRequestError).message]).toEqual([400, '400 bad model']);
    expect(server.seen).toHaveLength(1);
  });

  it('throws a TypeError for a missing model name', () => {
    expect(() => createOpenAIModel({ model: '' })).toThrow(new TypeError('Expected `model` to be a non-empty string, got ""'));
  });

  it('runs a whole agent loop against the server: tool calls in parallel, replies in tool_calls order, then the answer', async () => {
    const badJson = { id: 'call_c', type: 'function', function: { name: 'weather', arguments: '{"city":' } };
    server = await startServer([
      { body: completion({ content: null, tool_calls: [...toolCalls, badJson] }, { prompt_tokens: 40, completion_tokens: 12 }) },
      { body: completion({ content: 'Oslo 12°C, Lima 12°C.' }, { prompt_tokens: 90, completion_tokens: 9 }) },
    ]);
    const output = await runAgent({
      model: createOpenAIModel({ model: 'test-model', baseURL: server.baseURL, apiKey: 'k' }),
      tools: [weather],
      messages: [user],
      policy: 'settleAll',
      concurrency: 2,
    });
    const replies: ChatMessage[] = [
      { role: 'tool', tool_call_id: 'call_a', content: '{"city":"Oslo","celsius":12}' },
      { role: 'tool', tool_call_id: 'call_b', content: '{"city":"Lima","celsius":12}' },
      {
        role: 'tool',
        tool_call_id: 'call_c',
        content: '{"error":{"kind":"invalidArguments","message":"Invalid arguments for \\"weather\\": arguments are not valid JSON: Unexpected end of JSON input"}}',
      },
    ];
    const assistant = { role: 'assistant', content: null, tool_calls: [...toolCalls, badJson] };
    expect(output).toEqual({
      status: 'done',
      messages: [user, assistant, ...replies, { role: 'assistant', content: 'Oslo 12°C, Lima 12°C.' }],
      steps: [
        { step: 1, toolCalls: 3, usage: { promptTokens: 40, completionTokens: 12 } },
        { step: 2, toolCalls: 0, usage: { promptTokens: 90, completionTokens: 9 } },
      ],
    });
    expect(server.seen.map((request) => request.body)).toEqual([
      { model: 'test-model', messages: [user], tools: [weatherSpec], parallel_tool_calls: true },
      { model: 'test-model', messages: [user, assistant, ...replies], tools: [weatherSpec], parallel_tool_calls: true },
    ]);
  });
});
