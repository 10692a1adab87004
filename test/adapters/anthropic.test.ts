import Anthropic, { APIUserAbortError, BadRequestError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createToolRouter, defineTool, runAgent } from 'xstate-parallel-tools';
import { createAnthropicModel } from 'xstate-parallel-tools/anthropic';
import { askClaude, askWithRunAgent } from '../../examples/anthropic.js';
import { apiMessage, deferred, question, startServer, toolUse, until, weather, weatherTool } from './anthropic/helpers.js';

let server: Awaited<ReturnType<typeof startServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createAnthropicModel', () => {
  it('sends the system prompt, the messages and the tools, and returns text, tool_calls and usage', async () => {
    server = await startServer([
      { body: apiMessage([{ type: 'text', text: 'Checking.' }, toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima')], { input_tokens: 30, output_tokens: 7, cache_read_input_tokens: 100 }) },
    ]);
    const model = createAnthropicModel({ client: server.client(), model: 'claude-test', maxTokens: 512 });
    expect(model.name).toBe('anthropic:claude-test');
    const answer = await model.complete({
      messages: [{ role: 'system', content: 'Be terse.' }, question],
      tools: createToolRouter([weather]).toolSpecs,
      signal: new AbortController().signal,
    });
    expect(answer).toEqual({
      message: {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Lima"}' } },
        ],
      },
      usage: { promptTokens: 130, completionTokens: 7 },
    });
    expect(server.seen).toHaveLength(1);
    const [request] = server.seen;
    expect([request!.method, request!.url, request!.headers.authorization]).toEqual(['POST', '/v1/messages', 'Bearer sk-ant-test']);
    expect(request!.body).toEqual({
      model: 'claude-test',
      max_tokens: 512,
      system: 'Be terse.',
      messages: [{ role: 'user', content: 'Weather in Oslo, Lima and Atlantis?' }],
      tools: [weatherTool],
    });
  });

  it('sends disable_parallel_tool_use when parallelToolCalls is false, its params, and no tools when none are offered', async () => {
    server = await startServer([{ body: apiMessage([{ type: 'text', text: 'hi' }]) }, { body: apiMessage([{ type: 'text', text: 'hi' }]) }]);
    const model = createAnthropicModel({ client: server.client(), model: 'm', maxTokens: 64, parallelToolCalls: false, params: { stop_sequences: ['END'] } });
    const signal = new AbortController().signal;
    await model.complete({ messages: [question], tools: createToolRouter([weather]).toolSpecs, signal });
    expect(await model.complete({ messages: [question], tools: [], signal })).toEqual({
      message: { role: 'assistant', content: 'hi' },
      usage: { promptTokens: 30, completionTokens: 7 },
    });
    expect(server.seen.map((request) => request.body)).toEqual([
      {
        tool_choice: { type: 'auto', disable_parallel_tool_use: true },
        stop_sequences: ['END'],
        model: 'm',
        max_tokens: 64,
        messages: [{ role: 'user', content: question.content }],
        tools: [weatherTool],
      },
      { stop_sequences: ['END'], model: 'm', max_tokens: 64, messages: [{ role: 'user', content: question.content }] },
    ]);
  });

  it("passes the step's signal to the request: aborting it aborts the HTTP request", async () => {
    server = await startServer(['hang']);
    const model = createAnthropicModel({ client: server.client({ maxRetries: 0 }), model: 'm', maxTokens: 64 });
    const controller = new AbortController();
    const answer = model.complete({ messages: [question], tools: [], signal: controller.signal }).catch((error: unknown) => error);
    await until(() => server!.seen.length === 1);
    controller.abort();
    const error = await answer;
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect((error as Error).message).toBe('Request was aborted.');
    await until(() => server!.closed.length === 1);
    expect(server.closed).toEqual([0]);
  });

  it('rejects with the client error when the server fails', async () => {
    server = await startServer([{ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: too large' } } }]);
    const model = createAnthropicModel({ client: server.client({ maxRetries: 0 }), model: 'm', maxTokens: 64 });
    const error = await model.complete({ messages: [question], tools: [], signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).status).toBe(400);
    expect(server.seen).toHaveLength(1);
  });

  it('throws a TypeError for a missing client, model name or maxTokens', () => {
    const client = new Anthropic({ apiKey: 'k', baseURL: 'http://127.0.0.1:9' });
    expect(() => createAnthropicModel({ client: {} as Anthropic, model: 'm', maxTokens: 1 })).toThrow(
      new TypeError('Expected `client` to be an Anthropic client with `messages.create`, got `object` (object)'),
    );
    expect(() => createAnthropicModel({ client, model: '', maxTokens: 1 })).toThrow(new TypeError('Expected `model` to be a non-empty string, got `""` (string)'));
    expect(() => createAnthropicModel({ client, model: 'm', maxTokens: 0 })).toThrow(
      new TypeError('Expected `maxTokens` to be an integer from 1 and up, got `0` (number)'),
    );
  });

  it('runs a whole runAgent loop over two turns: parallel tool calls, tool_result blocks in order, failures as is_error', async () => {
    server = await startServer([
      { body: apiMessage([{ type: 'text', text: 'Checking.' }, toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima'), toolUse('toolu_3', 'Atlantis')], { input_tokens: 40, output_tokens: 12 }) },
      { body: apiMessage([{ type: 'text', text: 'Oslo and Lima are 12°C; Atlantis has no station.' }], { input_tokens: 90, output_tokens: 9 }) },
    ]);
    // Oslo and Lima wait for each other, so the run only finishes if they run at the same time.
    const bothStarted = deferred<void>();
    let running = 0;
    let peak = 0;
    let started = 0;
    const parallelWeather = defineTool({
      ...weather,
      execute: async (args, context) => {
        running++;
        peak = Math.max(peak, running);
        if (++started === 2) bothStarted.resolve();
        await bothStarted.promise;
        running--;
        return weather.execute(args, context);
      },
    });
    const output = await runAgent({
      model: createAnthropicModel({ client: server.client(), model: 'claude-test', maxTokens: 512 }),
      tools: [parallelWeather],
      messages: [{ role: 'system', content: 'Be terse.' }, question],
      policy: 'settleAll',
      concurrency: 2,
    });
    expect(peak).toBe(2);
    const toolCalls = [
      { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
      { id: 'toolu_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Lima"}' } },
      { id: 'toolu_3', type: 'function', function: { name: 'weather', arguments: '{"city":"Atlantis"}' } },
    ];
    const atlantis = '{"error":{"kind":"error","message":"no weather station in Atlantis"}}';
    expect(output).toEqual({
      status: 'done',
      messages: [
        { role: 'system', content: 'Be terse.' },
        question,
        { role: 'assistant', content: 'Checking.', tool_calls: toolCalls },
        { role: 'tool', tool_call_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
        { role: 'tool', tool_call_id: 'toolu_2', content: '{"city":"Lima","celsius":12}' },
        { role: 'tool', tool_call_id: 'toolu_3', content: atlantis },
        { role: 'assistant', content: 'Oslo and Lima are 12°C; Atlantis has no station.' },
      ],
      steps: [
        { step: 1, toolCalls: 3, usage: { promptTokens: 40, completionTokens: 12 } },
        { step: 2, toolCalls: 0, usage: { promptTokens: 90, completionTokens: 9 } },
      ],
    });
    const first = { role: 'user', content: question.content };
    const assistant = {
      role: 'assistant',
      content: [{ type: 'text', text: 'Checking.' }, toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima'), toolUse('toolu_3', 'Atlantis')],
    };
    const results = {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"city":"Lima","celsius":12}' },
        { type: 'tool_result', tool_use_id: 'toolu_3', content: atlantis, is_error: true },
      ],
    };
    const common = { model: 'claude-test', max_tokens: 512, system: 'Be terse.', tools: [weatherTool] };
    expect(server.seen.map((request) => request.body)).toEqual([
      { ...common, messages: [first] },
      { ...common, messages: [first, assistant, results] },
    ]);
  });

  it('ends a runAgent run as failed when its signal aborts the model request', async () => {
    server = await startServer(['hang']);
    const controller = new AbortController();
    const run = runAgent({
      model: createAnthropicModel({ client: server.client({ maxRetries: 0 }), model: 'm', maxTokens: 64 }),
      tools: [weather],
      messages: [question],
      signal: controller.signal,
    });
    await until(() => server!.seen.length === 1);
    controller.abort();
    const output = await run;
    expect([output.status, output.messages]).toEqual(['failed', [question]]);
    await until(() => server!.closed.length === 1);
  });
});

describe('examples/anthropic', () => {
  it('askClaude: runs each turn through runToolUses and sends the tool results back in block order', async () => {
    server = await startServer([
      { body: apiMessage([toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Atlantis'), toolUse('toolu_3', 'Lima')]) },
      { body: apiMessage([{ type: 'text', text: 'Oslo and Lima: 12°C.' }]) },
    ]);
    const { response, messages } = await askClaude(server.client(), 'Which is colder?');
    expect(response.content).toEqual([{ type: 'text', text: 'Oslo and Lima: 12°C.' }]);
    const reply = {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"error":{"kind":"error","message":"no weather station in Atlantis"}}', is_error: true },
        { type: 'tool_result', tool_use_id: 'toolu_3', content: '{"city":"Lima","celsius":12}' },
      ],
    };
    const turn = [
      { role: 'user', content: 'Which is colder?' },
      { role: 'assistant', content: [toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Atlantis'), toolUse('toolu_3', 'Lima')] },
      reply,
    ];
    expect(messages).toEqual(turn);
    expect(server.seen.map((request) => request.body)).toEqual([
      { model: 'claude-sonnet-4-6', max_tokens: 1024, tools: [weatherTool], messages: turn.slice(0, 1) },
      { model: 'claude-sonnet-4-6', max_tokens: 1024, tools: [weatherTool], messages: turn },
    ]);
  });

  it('askWithRunAgent: Claude as the model of runAgent', async () => {
    server = await startServer([
      { body: apiMessage([toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima')]) },
      { body: apiMessage([{ type: 'text', text: 'Both 12°C.' }]) },
    ]);
    const output = await askWithRunAgent(server.client(), 'Oslo or Lima?');
    expect(output.status).toBe('done');
    expect(output.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
      { role: 'tool', tool_call_id: 'toolu_2', content: '{"city":"Lima","celsius":12}' },
      { role: 'assistant', content: 'Both 12°C.' },
    ]);
    expect(server.seen[1]!.body.messages).toEqual([
      { role: 'user', content: 'Oslo or Lima?' },
      { role: 'assistant', content: [toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima')] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"city":"Lima","celsius":12}' },
        ],
      },
    ]);
  });
});
