/**
 * Names and ids are data in every adapter that maps them: tools named
 * `constructor`, `__proto__` or `toString`, call ids drawn from every
 * `Object.prototype` key, empty-looking strings and unusual Unicode, and
 * limits as JSON.parse gives them, through the real SDKs (AI SDK, Anthropic,
 * OpenAI Agents, LangChain, MCP) and BullMQ's wire functions. Registered
 * tools run under their per-tool limit, unknown names fail alone with
 * `unknownTool`, and no name becomes a prototype.
 */
import { AIMessage } from '@langchain/core/messages';
import { tool as langChainTool } from '@langchain/core/tools';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Agent, Runner, setTracingDisabled } from '@openai/agents';
import * as ai from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, runAgent, runToolBatch, type AnyTool, type SettledResult } from 'xstate-parallel-tools';
import { runAiSdkToolCalls, toAiSdkTools, withParallelToolSet } from 'xstate-parallel-tools/ai-sdk';
import { createAnthropicModel, runToolUses, toAnthropicMessages, toAnthropicTools, toAssistantMessage } from 'xstate-parallel-tools/anthropic';
import { createParallelToolNode, fromLangChainTools } from 'xstate-parallel-tools/langchain';
import { loadMcpTools } from 'xstate-parallel-tools/mcp';
import { toAgentTools } from 'xstate-parallel-tools/openai-agents';
import { assertLimits } from '../../src/adapters/bullmq/checks.js';
import { callOf, decodeResult, encodeResult, jobDataFor, queueFor } from '../../src/adapters/bullmq/wire.js';
import { parsedObject, prototypeKeys, unknownToolMessage, vocabulary, within } from '../helpers/names.js';
import { guardUnhandled } from '../helpers/unhandled.js';
import { apiMessage, startServer } from './anthropic/helpers.js';
import { errorContent, summary } from './langchain/messages.js';
import { ScriptedAgentModel } from './openai-agents/scripted-agent-model.js';
import { scriptedModel, toolResultsInPrompt, type SdkUnderTest } from './ai-sdk/sdk-under-test.js';

guardUnhandled();
beforeAll(() => setTracingDisabled(true));

/** The tool names every adapter registers: the keys whose lookup on `{}` finds something. */
const names = ['constructor', '__proto__', 'toString'] as const;

/** `perToolConcurrency` as a config file parses to it: `__proto__` is an own key. */
const limits = (): Record<string, number> => JSON.parse('{"__proto__":1,"constructor":2}') as Record<string, number>;

/** Counts, per tool, how many of its calls run at once; each call waits a few event-loop turns. */
function createProbe() {
  const running = new Map<string, number>();
  const peak = new Map<string, number>();
  return {
    peak,
    async run<T>(name: string, body: () => T): Promise<T> {
      const now = (running.get(name) ?? 0) + 1;
      running.set(name, now);
      peak.set(name, Math.max(peak.get(name) ?? 0, now));
      try {
        for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
        return body();
      } finally {
        running.set(name, running.get(name)! - 1);
      }
    },
  };
}

/** Four calls of each registered name, and ids that are prototype keys and odd strings. */
const callPlan = (): Array<{ id: string; name: string }> => names.flatMap((name, n) => [0, 1, 2, 3].map((i) => ({ id: vocabulary[n * 4 + i]!, name })));
const peakOf = (probe: ReturnType<typeof createProbe>): Array<[string, number]> => [...probe.peak].sort(([a], [b]) => (a < b ? -1 : 1));
const expectedPeaks: Array<[string, number]> = [
  ['__proto__', 1],
  ['constructor', 2],
  ['toString', 4],
];

/** Our tools, one per name, each returning `{ tool, id }`. */
function ourTools(probe: ReturnType<typeof createProbe>): AnyTool[] {
  return names.map((name) =>
    defineTool({
      name,
      description: `the ${name} tool`,
      parameters: z.object({}),
      execute: (_args, { call }) => probe.run(name, () => ({ tool: name, id: call.id })),
    }),
  );
}

describe('AI SDK adapter', () => {
  const sdk: SdkUnderTest = {
    label: 'ai@7',
    generateText: ai.generateText as unknown as SdkUnderTest['generateText'],
    streamText: ai.streamText as unknown as SdkUnderTest['streamText'],
    stepCountIs: ai.stepCountIs as SdkUnderTest['stepCountIs'],
    MockLanguageModel: MockLanguageModelV3 as unknown as SdkUnderTest['MockLanguageModel'],
    simulateReadableStream: ai.simulateReadableStream as unknown as SdkUnderTest['simulateReadableStream'],
  };

  it('toAiSdkTools makes each name an own key and leaves the prototype alone', () => {
    const declared = toAiSdkTools(ourTools(createProbe()));
    expect(Object.keys(declared)).toEqual([...names]);
    expect(Object.getPrototypeOf(declared)).toBe(Object.prototype);
    for (const name of names) expect([name, Object.hasOwn(declared, name), declared[name]!.description]).toEqual([name, true, `the ${name} tool`]);
  });

  it('runAiSdkToolCalls answers such names and ids, unknown names with their unknownTool message', async () => {
    const probe = createProbe();
    const toolCalls = JSON.parse(
      JSON.stringify([
        ...callPlan().map(({ id, name }) => ({ type: 'tool-call', toolCallId: id, toolName: name, input: {} })),
        { type: 'tool-call', toolCallId: 'u1', toolName: 'valueOf', input: {} },
        { type: 'tool-call', toolCallId: 'u2', toolName: '\u200b', input: {} },
      ]),
    ) as Parameters<typeof runAiSdkToolCalls>[0];
    const message = await within(runAiSdkToolCalls(toolCalls, { tools: ourTools(probe), policy: 'settleAll', perToolConcurrency: limits() }), 5_000, 'the batch');
    expect(message).toEqual({
      role: 'tool',
      content: [
        ...callPlan().map(({ id, name }) => ({ type: 'tool-result', toolCallId: id, toolName: name, output: { type: 'json', value: { tool: name, id } } })),
        ...['valueOf', '\u200b'].map((name, i) => ({
          type: 'tool-result',
          toolCallId: `u${i + 1}`,
          toolName: name,
          output: { type: 'error-text', value: unknownToolMessage(name, names) },
        })),
      ],
    });
    expect(peakOf(probe)).toEqual(expectedPeaks);
  });

  it("withParallelToolSet wraps a tool set with such keys; the SDK's loop runs them under their limits", async () => {
    const probe = createProbe();
    const toolSet = parsedObject(names.map((name) => [name, 0] as const)) as Record<string, unknown>;
    for (const name of names) {
      Object.defineProperty(toolSet, name, {
        enumerable: true,
        value: { description: name, inputSchema: z.object({}), execute: async (_input: unknown, { toolCallId }: { toolCallId: string }) => probe.run(name, () => `${name}:${toolCallId}`) },
      });
    }
    const wrapped = withParallelToolSet(toolSet as Record<string, object>, { perToolConcurrency: limits(), policy: 'joinAll' });
    expect([Object.keys(wrapped), Object.getPrototypeOf(wrapped)]).toEqual([[...names], Object.prototype]);
    const plan = callPlan().map(({ name }, i) => ({ id: `call-${i}`, name }));
    const { model, prompts } = scriptedModel(sdk, [{ calls: plan.map(({ id, name }) => [id, name, {}] as [string, string, unknown]) }, { text: 'done' }]);
    const result = await within(sdk.generateText({ model, prompt: 'go', stopWhen: sdk.stepCountIs(3), tools: wrapped }), 5_000, 'generateText');
    expect(result.text).toBe('done');
    expect(toolResultsInPrompt(prompts[1])).toEqual(plan.map(({ id, name }) => [id, { type: 'text', value: `${name}:${id}` }]));
    expect(peakOf(probe)).toEqual(expectedPeaks);
  });
});

describe('Anthropic adapter', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** tool_use blocks of every registered name with prototype-key ids, and two unknown names. */
  const blocks = () => [
    ...callPlan().map(({ id, name }) => ({ type: 'tool_use', id, name, input: {} })),
    { type: 'tool_use', id: 'u1', name: 'hasOwnProperty', input: {} },
    { type: 'tool_use', id: 'u2', name: '🦜🔥', input: {} },
  ];
  const expectedResults = () => [
    ...callPlan().map(({ id, name }) => ({ type: 'tool_result', tool_use_id: id, content: JSON.stringify({ tool: name, id }) })),
    ...['hasOwnProperty', '🦜🔥'].map((name, i) => ({
      type: 'tool_result',
      tool_use_id: `u${i + 1}`,
      content: errorContent('unknownTool', unknownToolMessage(name, names)),
      is_error: true,
    })),
  ];

  it('runToolUses answers blocks with such names and ids, in block order', async () => {
    const probe = createProbe();
    const message = JSON.parse(JSON.stringify({ role: 'assistant', content: blocks() })) as Parameters<typeof runToolUses>[0];
    const reply = await within(runToolUses(message, { tools: ourTools(probe), policy: 'settleAll', perToolConcurrency: limits() }), 5_000, 'the batch');
    expect(reply).toEqual({ role: 'user', content: expectedResults() });
    expect(peakOf(probe)).toEqual(expectedPeaks);
    expect(toAnthropicTools(ourTools(probe)).map((tool) => tool.name)).toEqual([...names]);
  });

  it('an agent on the Anthropic client sends the results back under the same ids', async () => {
    server = await startServer([{ body: apiMessage(blocks()) }, { body: apiMessage([{ type: 'text', text: 'done' }]) }]);
    const probe = createProbe();
    const model = createAnthropicModel({ client: server.client(), model: 'claude-test', maxTokens: 64 });
    const result = await within(
      runAgent({ model, tools: ourTools(probe), messages: [{ role: 'user', content: 'go' }], policy: 'settleAll', perToolConcurrency: limits() }),
      5_000,
      'the agent',
    );
    expect(result.status).toBe('done');
    const sent = server.seen[1]!.body.messages as unknown[];
    expect(sent).toEqual([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: blocks() },
      { role: 'user', content: expectedResults() },
    ]);
    // The conversion back and forth keeps every id and name.
    expect(toAnthropicMessages([toAssistantMessage({ content: blocks() } as Parameters<typeof toAssistantMessage>[0])]).messages).toEqual([{ role: 'assistant', content: blocks() }]);
    expect(peakOf(probe)).toEqual(expectedPeaks);
  });
});

describe('OpenAI Agents adapter', () => {
  it('toAgentTools runs such tools in one batch per turn, under their limits, and sends the results back', async () => {
    const probe = createProbe();
    const plan = callPlan();
    const model = new ScriptedAgentModel([plan.map(({ id, name }) => ({ callId: id, name, arguments: {} })), 'done']);
    const tools = toAgentTools(ourTools(probe), { perToolConcurrency: limits(), policy: 'settleAll' });
    expect(tools.map((tool) => tool.name)).toEqual([...names]);
    const agent = new Agent({ name: 'tester', instructions: 'Use the tools.', model, tools });
    const result = await within(new Runner({ tracingDisabled: true }).run(agent, 'go'), 5_000, 'the agent run');
    expect(result.finalOutput).toBe('done');
    expect(model.outputsSentIn(1)).toEqual(plan.map(({ id, name }) => ({ callId: id, output: { type: 'text', text: JSON.stringify({ tool: name, id }) } })));
    expect(peakOf(probe)).toEqual(expectedPeaks);
  });
});

describe('LangChain adapter', () => {
  const langChainTools = (probe: ReturnType<typeof createProbe>) =>
    names.map((name) => langChainTool(({}, config) => probe.run(name, () => `${name}:${String(config.toolCall?.id)}`), { name, description: name, schema: z.object({}) }));

  it('createParallelToolNode answers such names and ids; unknown names fail alone with unknownTool', async () => {
    const probe = createProbe();
    const plan = [...callPlan(), { id: 'u1', name: 'valueOf' }, { id: 'u2', name: 'isPrototypeOf' }];
    const message = new AIMessage({ content: '', tool_calls: JSON.parse(JSON.stringify(plan.map(({ id, name }) => ({ id, name, args: {}, type: 'tool_call' })))) as [] });
    const node = createParallelToolNode(langChainTools(probe), { policy: 'settleAll', perToolConcurrency: limits() });
    const { messages } = await within(node({ messages: [message] }), 5_000, 'the node');
    expect(messages.map(summary)).toEqual(
      plan.map(({ id, name }) =>
        (names as readonly string[]).includes(name)
          ? { type: 'tool', tool_call_id: id, name, status: 'success', content: `${name}:${id}` }
          : { type: 'tool', tool_call_id: id, name, status: 'error', content: errorContent('unknownTool', unknownToolMessage(name, names)) },
      ),
    );
    expect(peakOf(probe)).toEqual(expectedPeaks);
  });

  it('fromLangChainTools keeps the names, and runToolBatch runs them', async () => {
    const probe = createProbe();
    const tools = fromLangChainTools(langChainTools(probe));
    expect(tools.map((tool) => tool.name)).toEqual([...names]);
    const outputs = await within(runToolBatch(callPlan().map(({ id, name }) => ({ id, name, arguments: {} })), { tools, perToolConcurrency: limits() }), 5_000, 'the batch');
    expect(outputs).toEqual(callPlan().map(({ id, name }) => ({ id, result: `${name}:${id}` })));
    expect(peakOf(probe)).toEqual(expectedPeaks);
  });
});

describe('MCP adapter', () => {
  /**
   * A real MCP server whose tools have these names, linked in memory to a real Client. The SDK's
   * low-level Server: McpServer keeps its tools in a `{}` and refuses these names as already registered.
   */
  async function connect(probe: ReturnType<typeof createProbe>) {
    const server = new Server({ name: 'names', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: names.map((name) => ({ name, description: `the ${name} tool`, inputSchema: { type: 'object' as const } })) }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      const { name } = request.params;
      if (!(names as readonly string[]).includes(name)) return { isError: true, content: [{ type: 'text' as const, text: `no tool ${name}` }] };
      return probe.run(name, () => ({ content: [{ type: 'text' as const, text: `${name} ran` }] }));
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    return { client, close: () => Promise.all([client.close(), server.close()]) };
  }

  it('loadMcpTools loads tools with such names, and a batch runs them under their limits; unknown names fail alone', async () => {
    const probe = createProbe();
    const { client, close } = await connect(probe);
    try {
      const tools = await loadMcpTools(client);
      expect(tools.map((tool) => tool.name)).toEqual([...names]);
      const calls = [...callPlan(), { id: 'u1', name: 'valueOf' }].map(({ id, name }) => ({ id, name, arguments: {} }));
      const results: SettledResult[] = await within(runToolBatch(calls, { tools, policy: 'settleAll', perToolConcurrency: limits() }), 5_000, 'the batch');
      expect(results.map((result) => (result.ok ? result.output : [result.failure.kind, result.failure.message]))).toEqual([
        ...callPlan().map(({ id, name }) => ({ id, result: `${name} ran` })),
        ['unknownTool', unknownToolMessage('valueOf', names)],
      ]);
      expect(peakOf(probe)).toEqual(expectedPeaks);
    } finally {
      await close();
    }
  });
});

describe('BullMQ wire', () => {
  it('queueFor gives a limited tool its own queue, and every other name the shared one, with limits as JSON.parse gives them', () => {
    const parsed = JSON.parse('{"__proto__":1,"constructor":2}') as Record<string, number>;
    expect(() => assertLimits(parsed)).not.toThrow();
    expect(queueFor('tools', '__proto__', parsed)).toBe('tools.__proto__');
    expect(queueFor('tools', 'constructor', parsed)).toBe('tools.constructor');
    const others = vocabulary.filter((name) => name !== '__proto__' && name !== 'constructor');
    expect(others.map((name) => queueFor('tools', name, parsed))).toEqual(others.map(() => 'tools'));
    expect(prototypeKeys.map((name) => queueFor('tools', name, {}))).toEqual(prototypeKeys.map(() => 'tools'));
  });

  it('a job carries a call with such an id, name and arguments through JSON unchanged', () => {
    for (const name of vocabulary) {
      const args = parsedObject<unknown>([
        ['__proto__', { polluted: true }],
        ['constructor', name],
      ]);
      const data = JSON.parse(JSON.stringify(jobDataFor({ id: name, name, arguments: args }, { index: 3, attempt: 1, approved: false }))) as ReturnType<typeof jobDataFor>;
      const call = callOf(data);
      expect([call.id === name, call.name === name, JSON.stringify(call.arguments)]).toEqual([true, true, JSON.stringify(args)]);
      expect(Object.getPrototypeOf(call.arguments)).toBe(Object.prototype);
    }
    // A result whose keys are prototype keys is a result, never mistaken for an approval request.
    const result = parsedObject<unknown>([
      ['__proto__', 1],
      ['constructor', 2],
    ]);
    expect(JSON.stringify(decodeResult(JSON.parse(JSON.stringify(encodeResult(result)))))).toBe('{"__proto__":1,"constructor":2}');
  });
});
