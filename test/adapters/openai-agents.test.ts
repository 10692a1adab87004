import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, ModelBehaviorError, OpenAIChatCompletionsModel, Runner, setTracingDisabled } from '@openai/agents';
import OpenAI from 'openai';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, type ToolBatchEmitted } from 'xstate-parallel-tools';
import { toAgentTools, type AgentToolsOptions } from 'xstate-parallel-tools/openai-agents';
import { createForecaster, weather as exampleWeather } from '../../examples/openai-agents.js';
import { createProbe, type Probe } from './openai-agents/probe.js';
import { ScriptedAgentModel, type ScriptedTurn } from './openai-agents/scripted-agent-model.js';

beforeAll(() => setTracingDisabled(true));

let probe: Probe;
afterEach(() => {
  // Nothing may stay held after a test: release whatever started (a settled gate ignores it).
  for (const id of probe?.started ?? []) probe.release(id);
});

/** `search` and `weather` tools that hold every call on the probe; `weather` fails for Atlantis. */
function probeTools(current: Probe) {
  const search = defineTool({
    name: 'search',
    description: 'Searches the web',
    parameters: z.object({ q: z.string() }),
    execute: async ({ q }, { signal, call }) => {
      await current.hold('search', call.id, signal);
      return { q, hits: q.length };
    },
  });
  const weather = defineTool({
    name: 'weather',
    description: 'Current temperature of a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }, { signal, call }) => {
      if (city === 'Atlantis') throw new Error(`no weather station in ${city}`);
      await current.hold('weather', call.id, signal);
      return { city, celsius: city.length * 3 };
    },
  });
  return [search, weather] as const;
}

/** An agent on a scripted model with the probe tools through the adapter, and the batch events it saw. */
function setup(turns: ScriptedTurn[], options: AgentToolsOptions) {
  probe = createProbe();
  const events: ToolBatchEmitted[] = [];
  const waiters: Array<{ matches: (event: ToolBatchEmitted) => boolean; resolve: () => void }> = [];
  const model = new ScriptedAgentModel(turns);
  const agent = new Agent({
    name: 'tester',
    instructions: 'Use the tools.',
    model,
    tools: toAgentTools([...probeTools(probe)], {
      ...options,
      onEvent: (event) => {
        events.push(event);
        for (const waiter of waiters.filter((w) => w.matches(event))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
    }),
  });
  /** Resolves when the batch emits an event that matches. */
  const whenEvent = (matches: (event: ToolBatchEmitted) => boolean) =>
    new Promise<void>((resolve) => (events.some(matches) ? resolve() : waiters.push({ matches, resolve })));
  const runner = new Runner({ tracingDisabled: true });
  const batches = () => events.filter((event) => event.type === 'batch.settled').length;
  return { model, agent, runner, events, batches, whenEvent };
}

const search = (callId: string, q: string) => ({ callId, name: 'search', arguments: { q } });
const weather = (callId: string, city: string) => ({ callId, name: 'weather', arguments: { city } });
const text = (value: unknown) => ({ type: 'text', text: JSON.stringify(value) });

describe('toAgentTools', () => {
  it('runs a turn as one batch: peak per tool equals perToolConcurrency, peak overall equals concurrency', async () => {
    const { model, agent, runner, batches } = setup(
      [
        [search('s1', 'a'), search('s2', 'bb'), search('s3', 'ccc'), search('s4', 'dddd'), search('s5', 'eeeee'), weather('w1', 'Oslo'), weather('w2', 'Lima')],
        'done',
      ],
      { concurrency: 3, perToolConcurrency: { search: 2 }, policy: 'joinAll' },
    );
    const result = runner.run(agent, 'go');

    await probe.whenStarted(3);
    expect(probe.started).toEqual(['s1', 's2', 'w1']);
    probe.release('s1');
    await probe.whenStarted(4);
    expect(probe.started[3]).toBe('s3');
    // search is at its limit, so the next call admitted is w2, past s4 and s5.
    probe.release('w1');
    await probe.whenStarted(5);
    expect(probe.started[4]).toBe('w2');
    probe.release('s2');
    await probe.whenStarted(6);
    probe.release('s3');
    await probe.whenStarted(7);
    for (const id of ['s5', 'w2', 's4']) probe.release(id);

    expect((await result).finalOutput).toBe('done');
    expect(probe.started).toEqual(['s1', 's2', 'w1', 's3', 'w2', 's4', 's5']);
    expect(probe.peak.get('search')).toBe(2);
    expect(probe.peakTotal()).toBe(3);
    expect(batches()).toBe(1);
    expect(model.inputs).toHaveLength(2);
  });

  it('sends the results back in the order the model asked, whatever order they finish in', async () => {
    const { model, agent, runner } = setup(
      [[weather('c1', 'Oslo'), search('c2', 'xstate'), weather('c3', 'Reykjavik')], 'done'],
      { policy: 'failFast' },
    );
    const result = runner.run(agent, 'go');
    await probe.whenStarted(3);
    for (const id of ['c3', 'c2', 'c1']) probe.release(id);
    await result;

    expect(model.outputsSentIn(1)).toEqual([
      { callId: 'c1', output: text({ city: 'Oslo', celsius: 12 }) },
      { callId: 'c2', output: text({ q: 'xstate', hits: 6 }) },
      { callId: 'c3', output: text({ city: 'Reykjavik', celsius: 27 }) },
    ]);
  });

  it('shows the model each tool with its JSON Schema, not strict', async () => {
    const { model, agent, runner } = setup(['done'], {});
    await runner.run(agent, 'go');
    expect(model.tools[0]).toEqual([
      {
        type: 'function',
        name: 'search',
        description: 'Searches the web',
        parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
        strict: false,
        deferLoading: false,
      },
      {
        type: 'function',
        name: 'weather',
        description: 'Current temperature of a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        strict: false,
        deferLoading: false,
      },
    ]);
  });

  it('settleAll: a failed call and bad arguments reach the model as {"error":{kind,message}} and the run goes on', async () => {
    const { model, agent, runner, batches } = setup(
      [[weather('c1', 'Atlantis'), weather('c2', 'Oslo'), { callId: 'c3', name: 'weather', arguments: { town: 'Lima' } }], 'done'],
      { policy: 'settleAll' },
    );
    const result = runner.run(agent, 'go');
    await probe.whenStarted(1);
    probe.release('c2');

    expect((await result).finalOutput).toBe('done');
    expect(model.outputsSentIn(1)).toEqual([
      { callId: 'c1', output: text({ error: { kind: 'error', message: 'no weather station in Atlantis' } }) },
      { callId: 'c2', output: text({ city: 'Oslo', celsius: 12 }) },
      {
        callId: 'c3',
        output: text({
          error: {
            kind: 'invalidArguments',
            message: 'Invalid arguments for "weather": ✖ Invalid input: expected string, received undefined;   → at city',
          },
        }),
      },
    ]);
    expect(batches()).toBe(1);
  });

  it('failFast: the first failure aborts the running call and starts no queued call; the model reads a result for every call', async () => {
    const { model, agent, runner, events } = setup(
      [[search('c1', 'slow'), weather('c2', 'Atlantis'), search('c3', 'queued')], 'done'],
      { concurrency: 2, policy: 'failFast' },
    );

    expect((await runner.run(agent, 'go')).finalOutput).toBe('done');
    expect(model.outputsSentIn(1)).toEqual([
      { callId: 'c1', output: text({ error: { kind: 'aborted', message: 'aborted before it settled: the batch ended' } }) },
      { callId: 'c2', output: text({ error: { kind: 'error', message: 'no weather station in Atlantis' } }) },
      { callId: 'c3', output: text({ error: { kind: 'aborted', message: 'no result: the tool batch ended before this call settled' } }) },
    ]);
    expect(probe.started).toEqual(['c1']);
    expect(probe.aborted.get('c1')).toMatchObject({ name: 'AbortError', message: 'The tool call was aborted' });
    expect(events.filter((event) => event.type === 'call.started').map((event) => event.id)).toEqual(['c1', 'c2']);
    expect(events.filter((event) => event.type === 'batch.settled').map((event) => event.status)).toEqual(['failed']);
  });

  it('joinAll: a failure lets the other calls finish; the model reads the failure and every success', async () => {
    const { model, agent, runner, events, whenEvent } = setup([[weather('c1', 'Atlantis'), search('c2', 'xstate')], 'done'], {
      policy: 'joinAll',
    });
    const result = runner.run(agent, 'go');
    await probe.whenStarted(1);
    await whenEvent((event) => event.type === 'call.settled' && event.id === 'c1');
    // c1 has failed; c2 is still running and is not aborted.
    expect(events.filter((event) => event.type === 'call.settled').map((event) => [event.id, event.status])).toEqual([['c1', 'failed']]);
    probe.release('c2');

    expect((await result).finalOutput).toBe('done');
    expect(model.outputsSentIn(1)).toEqual([
      { callId: 'c1', output: text({ error: { kind: 'error', message: 'no weather station in Atlantis' } }) },
      { callId: 'c2', output: text({ q: 'xstate', hits: 6 }) },
    ]);
    expect(probe.aborted.size).toBe(0);
    expect(events.filter((event) => event.type === 'batch.settled').map((event) => event.status)).toEqual(['failed']);
  });

  it("a call of a tool the agent does not have fails the run with the SDK's ModelBehaviorError before any tool runs", async () => {
    const { agent, runner, events } = setup([[weather('c1', 'Oslo'), { callId: 'c2', name: 'nope', arguments: {} }], 'never asked'], {});
    const error = await runner.run(agent, 'go').then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ModelBehaviorError);
    expect((error as Error).message).toBe('Tool nope not found in agent tester.');
    expect(probe.started).toEqual([]);
    expect(events).toEqual([]);
  });

  it('a timeout aborts the tool signal with a TimeoutError and reaches the model as kind timeout', async () => {
    const { model, agent, runner } = setup([[search('c1', 'forever'), weather('c2', 'Oslo')], 'done'], {
      policy: 'settleAll',
      timeoutMs: 20,
    });
    const result = runner.run(agent, 'go');
    await probe.whenStarted(2);
    probe.release('c2');

    expect((await result).finalOutput).toBe('done');
    expect(probe.aborted.get('c1')).toMatchObject({ name: 'TimeoutError', message: 'the tool did not settle within 20 ms' });
    expect(model.outputsSentIn(1)).toEqual([
      { callId: 'c1', output: text({ error: { kind: 'timeout', message: 'the tool did not settle within 20 ms' } }) },
      { callId: 'c2', output: text({ city: 'Oslo', celsius: 12 }) },
    ]);
  });

  it('aborting the run aborts the running tools, rejects with the reason and asks the model nothing more', async () => {
    const { model, agent, runner } = setup([[search('c1', 'a'), search('c2', 'b')], 'never asked'], { policy: 'joinAll' });
    const controller = new AbortController();
    const result = runner.run(agent, 'go', { signal: controller.signal }).then(
      () => 'resolved',
      (reason: unknown) => reason,
    );
    await probe.whenStarted(2);
    const reason = new Error('the user left');
    controller.abort(reason);

    expect(await result).toBe(reason);
    expect([...probe.aborted.keys()]).toEqual(['c1', 'c2']);
    expect(probe.aborted.get('c1')).toMatchObject({ name: 'AbortError', message: 'The tool call was aborted' });
    expect(model.inputs).toHaveLength(1);
  });

  it('keeps two runs that share the tools in separate batches', async () => {
    probe = createProbe();
    const events: ToolBatchEmitted[] = [];
    const tools = toAgentTools([...probeTools(probe)], { perToolConcurrency: { weather: 1 }, onEvent: (event) => events.push(event) });
    const runner = new Runner({ tracingDisabled: true });
    const runOf = (turns: ScriptedTurn[]) => runner.run(new Agent({ name: 'tester', model: new ScriptedAgentModel(turns), tools }), 'go');

    const first = runOf([[weather('a1', 'Oslo'), weather('a2', 'Lima')], 'first done']);
    const second = runOf([[weather('b1', 'Bergen'), weather('b2', 'Quito')], 'second done']);
    // One call of each run at once: the limit is per batch, and each run has its own.
    await probe.whenStarted(2);
    expect(probe.started).toEqual(['a1', 'b1']);
    probe.release('a1');
    probe.release('b1');
    await probe.whenStarted(4);
    probe.release('a2');
    probe.release('b2');

    expect([(await first).finalOutput, (await second).finalOutput]).toEqual(['first done', 'second done']);
    expect(events.filter((event) => event.type === 'batch.settled')).toHaveLength(2);
    expect(probe.peak.get('weather')).toBe(2);
  });

  it('rejects duplicate tool names up front', () => {
    expect(() => toAgentTools([exampleWeather, exampleWeather])).toThrow(new TypeError('Expected unique tool names, got "weather" twice'));
  });
});

describe('examples/openai-agents', () => {
  it('answers from every look-up, with the failed one reported to the model', async () => {
    const model = new ScriptedAgentModel([
      [weather('c1', 'Oslo'), weather('c2', 'Atlantis'), weather('c3', 'Lima')],
      'Oslo 12°C, Lima 12°C; no data for Atlantis.',
    ]);
    const result = await new Runner({ tracingDisabled: true }).run(createForecaster(model), 'How warm is it in Oslo, Atlantis and Lima?');

    expect(result.finalOutput).toBe('Oslo 12°C, Lima 12°C; no data for Atlantis.');
    expect(model.outputsSentIn(1)).toEqual([
      { callId: 'c1', output: text({ city: 'Oslo', celsius: 12 }) },
      { callId: 'c2', output: text({ error: { kind: 'error', message: 'no weather station in Atlantis' } }) },
      { callId: 'c3', output: text({ city: 'Lima', celsius: 12 }) },
    ]);
  });
});

/** A loopback Chat Completions server that answers each request with the next message, and keeps the request bodies. */
async function startChatServer(messages: Array<Record<string, unknown>>) {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const index = bodies.push(JSON.parse(body) as Record<string, unknown>) - 1;
      const message = messages[index] ?? { content: `no reply ${index}` };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: `chatcmpl-${index}`,
          object: 'chat.completion',
          created: 1_700_000_000,
          model: 'test-model',
          choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseURL: `http://127.0.0.1:${port}/v1`, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('examples/openai-agents over HTTP', () => {
  it('runs with the SDK\'s real Chat Completions model against a loopback server', async () => {
    const toolCall = (id: string, city: string) => ({ id, type: 'function', function: { name: 'weather', arguments: JSON.stringify({ city }) } });
    const server = await startChatServer([
      { tool_calls: [toolCall('c1', 'Oslo'), toolCall('c2', 'Atlantis'), toolCall('c3', 'Reykjavik')] },
      { content: 'Oslo 12°C, Reykjavik 27°C.' },
    ]);
    try {
      const model = new OpenAIChatCompletionsModel(new OpenAI({ apiKey: 'test-key', baseURL: server.baseURL, maxRetries: 0 }), 'test-model');
      const result = await new Runner({ tracingDisabled: true }).run(createForecaster(model), 'How warm is it?');

      expect(result.finalOutput).toBe('Oslo 12°C, Reykjavik 27°C.');
      expect(server.bodies).toHaveLength(2);
      expect(server.bodies[0]?.tools).toEqual([
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Current temperature of a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            strict: false,
          },
        },
      ]);
      const toolMessages = (server.bodies[1]?.messages as Array<{ role: string }>).filter((message) => message.role === 'tool');
      expect(toolMessages).toEqual([
        { role: 'tool', tool_call_id: 'c1', content: JSON.stringify({ city: 'Oslo', celsius: 12 }) },
        { role: 'tool', tool_call_id: 'c2', content: JSON.stringify({ error: { kind: 'error', message: 'no weather station in Atlantis' } }) },
        { role: 'tool', tool_call_id: 'c3', content: JSON.stringify({ city: 'Reykjavik', celsius: 27 }) },
      ]);
    } finally {
      await server.close();
    }
  });
});
