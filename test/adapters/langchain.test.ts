import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { Command, END, MemorySaver, MessagesAnnotation, START, StateGraph, interrupt } from '@langchain/langgraph';
import { toolsCondition } from '@langchain/langgraph/prebuilt';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createParallelToolNode, type ParallelToolNode } from 'xstate-parallel-tools/langchain';
import { scriptedModel, weatherAgent } from '../../examples/langchain.js';
import { controlledLangChainTool } from './langchain/controlled-langchain-tool.js';
import { askFor, errorContent, summary } from './langchain/messages.js';

type Model = ReturnType<typeof fakeModel>;

/** An agent graph as LangGraph's docs build it, with our node where `ToolNode` would be. */
function agentGraph(model: Model, node: ParallelToolNode, checkpointer?: MemorySaver) {
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', async ({ messages }) => ({ messages: [await model.invoke(messages)] }))
    .addNode('tools', node)
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent')
    .compile(checkpointer ? { checkpointer } : {});
}

/** A model that asks for the calls once, then answers "done". */
function modelAskingFor(ids: string[], name = 'lookup'): Model {
  return fakeModel().respond(askFor(ids, name)).respond(new AIMessage('done'));
}

const question = { messages: [new HumanMessage('look these up')] };

describe('createParallelToolNode', () => {
  it('runs the agent\'s tool calls in a StateGraph and goes back to the agent', async () => {
    const seen: Array<{ id: string | undefined; messages: number; user: unknown; aborted: boolean | undefined }> = [];
    const lookup = tool(
      ({ key }, runtime) => {
        const state = (runtime as unknown as { state: { messages: BaseMessage[] } }).state;
        seen.push({ id: runtime.toolCall?.id, messages: state.messages.length, user: runtime.configurable?.['user'], aborted: runtime.signal?.aborted });
        return { key, length: key.length };
      },
      { name: 'lookup', description: 'Looks a key up', schema: z.object({ key: z.string() }) },
    );
    const model = modelAskingFor(['call_1', 'call_22']);

    const { messages } = await agentGraph(model, createParallelToolNode([lookup])).invoke(question, { configurable: { user: 'ada' } });

    expect(messages.map(summary)).toEqual([
      { type: 'human', content: 'look these up' },
      {
        type: 'ai',
        content: '',
        tool_calls: [
          { id: 'call_1', name: 'lookup', args: { key: 'call_1' } },
          { id: 'call_22', name: 'lookup', args: { key: 'call_22' } },
        ],
      },
      { type: 'tool', tool_call_id: 'call_1', name: 'lookup', status: 'success', content: '{"key":"call_1","length":6}' },
      { type: 'tool', tool_call_id: 'call_22', name: 'lookup', status: 'success', content: '{"key":"call_22","length":7}' },
      { type: 'ai', content: 'done', tool_calls: [] },
    ]);
    expect(seen).toEqual([
      { id: 'call_1', messages: 2, user: 'ada', aborted: false },
      { id: 'call_22', messages: 2, user: 'ada', aborted: false },
    ]);
    expect(model.callCount).toBe(2);
    expect(model.calls[1]!.messages.map(summary)).toEqual(messages.slice(0, 4).map(summary));
  });

  it('answers in tool_calls order when later calls finish first', async () => {
    const lookup = controlledLangChainTool();
    const run = agentGraph(modelAskingFor(['a', 'b', 'c']), createParallelToolNode([lookup.tool])).invoke(question);
    await lookup.whenStarted(3);
    lookup.resolve('c', 'C');
    lookup.resolve('b', 'B');
    lookup.resolve('a', 'A');

    const { messages } = await run;

    expect(lookup.settled).toEqual(['c', 'b', 'a']);
    expect(messages.filter((m) => ToolMessage.isInstance(m)).map(summary)).toEqual([
      { type: 'tool', tool_call_id: 'a', name: 'lookup', status: 'success', content: 'A' },
      { type: 'tool', tool_call_id: 'b', name: 'lookup', status: 'success', content: 'B' },
      { type: 'tool', tool_call_id: 'c', name: 'lookup', status: 'success', content: 'C' },
    ]);
  });

  it('runs at most `concurrency` calls at once, admitting them in tool_calls order', async () => {
    const lookup = controlledLangChainTool();
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const run = agentGraph(modelAskingFor(ids), createParallelToolNode([lookup.tool], { concurrency: 2 })).invoke(question);

    await lookup.whenStarted(2);
    expect(lookup.started).toEqual(['c1', 'c2']);
    lookup.resolve('c2');
    await lookup.whenStarted(3);
    expect(lookup.started).toEqual(['c1', 'c2', 'c3']);
    lookup.resolve('c1');
    await lookup.whenStarted(4);
    lookup.resolve('c3');
    await lookup.whenStarted(5);
    lookup.resolve('c5');
    lookup.resolve('c4');
    const { messages } = await run;

    expect(lookup.started).toEqual(ids);
    expect(lookup.peak).toBe(2);
    expect(messages.filter((m) => ToolMessage.isInstance(m)).map((m) => [m.tool_call_id, m.content])).toEqual(
      ids.map((id) => [id, `value of ${id}`]),
    );
  });

  it('settleAll answers a failing tool with an error ToolMessage and the graph goes on', async () => {
    const weather = tool(
      ({ city }) => {
        if (city === 'Atlantis') throw new Error('no weather station in Atlantis');
        return `${city}: 12°C`;
      },
      { name: 'weather', description: 'Weather of a city', schema: z.object({ city: z.string() }) },
    );
    const model = fakeModel()
      .respond(
        new AIMessage({
          content: '',
          tool_calls: [
            { id: 'w1', name: 'weather', args: { city: 'Oslo' } },
            { id: 'w2', name: 'weather', args: { city: 'Atlantis' } },
            { id: 'w3', name: 'nowcast', args: {} },
            { id: 'w4', name: 'weather', args: { town: 'Lima' } },
          ],
        }),
      )
      .respond(new AIMessage('Oslo is 12°C.'));

    const { messages } = await agentGraph(model, createParallelToolNode([weather], { policy: 'settleAll' })).invoke(question);

    expect(messages.slice(2).map(summary)).toEqual([
      { type: 'tool', tool_call_id: 'w1', name: 'weather', status: 'success', content: 'Oslo: 12°C' },
      { type: 'tool', tool_call_id: 'w2', name: 'weather', status: 'error', content: errorContent('error', 'no weather station in Atlantis') },
      {
        type: 'tool',
        tool_call_id: 'w3',
        name: 'nowcast',
        status: 'error',
        content: errorContent('unknownTool', 'No tool named "nowcast" (known tools: "weather")'),
      },
      {
        type: 'tool',
        tool_call_id: 'w4',
        name: 'weather',
        status: 'error',
        content: errorContent(
          'invalidArguments',
          'Invalid arguments for "weather": Received tool input did not match expected schema\n\n✖ Invalid input: expected string, received undefined\n  → at city',
        ),
      },
      { type: 'ai', content: 'Oslo is 12°C.', tool_calls: [] },
    ]);
  });

  it('aborts the tool\'s signal when a call times out, and answers with kind timeout', async () => {
    const reasons: unknown[] = [];
    const slow = tool(
      (_args, config) =>
        new Promise<string>(() => {
          config.signal?.addEventListener('abort', () => reasons.push(config.signal?.reason), { once: true });
        }),
      { name: 'slow', description: 'Never answers', schema: z.object({}) },
    );
    const fast = tool(() => 'quick', { name: 'fast', description: 'Answers at once', schema: z.object({}) });
    const model = fakeModel()
      .respond(
        new AIMessage({
          content: '',
          tool_calls: [
            { id: 's1', name: 'slow', args: {} },
            { id: 'f1', name: 'fast', args: {} },
          ],
        }),
      )
      .respond(new AIMessage('done'));

    const { messages } = await agentGraph(model, createParallelToolNode([slow, fast], { policy: 'settleAll', timeoutMs: 20 })).invoke(question);

    expect(messages.slice(2, 4).map(summary)).toEqual([
      { type: 'tool', tool_call_id: 's1', name: 'slow', status: 'error', content: errorContent('timeout', 'the tool did not settle within 20 ms') },
      { type: 'tool', tool_call_id: 'f1', name: 'fast', status: 'success', content: 'quick' },
    ]);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(DOMException);
    expect((reasons[0] as DOMException).name).toBe('TimeoutError');
    expect((reasons[0] as DOMException).message).toBe('the tool did not settle within 20 ms');
  });

  it('failFast answers every call (the failure, aborted for the rest), aborts the calls still running, and the graph goes on', async () => {
    const lookup = controlledLangChainTool();
    const model = modelAskingFor(['a', 'b', 'c']);
    const run = agentGraph(model, createParallelToolNode([lookup.tool], { policy: 'failFast', concurrency: 2 })).invoke(question);
    await lookup.whenStarted(2);
    lookup.reject('b', new Error('b broke'));

    const { messages } = await run;
    expect(messages.slice(2, 5).map(summary)).toEqual([
      { type: 'tool', tool_call_id: 'a', name: 'lookup', status: 'error', content: errorContent('aborted', 'aborted before it settled: the batch ended') },
      { type: 'tool', tool_call_id: 'b', name: 'lookup', status: 'error', content: errorContent('error', 'b broke') },
      { type: 'tool', tool_call_id: 'c', name: 'lookup', status: 'error', content: errorContent('aborted', 'no result: the tool batch ended before this call settled') },
    ]);
    expect(messages.at(-1)!.content).toBe('done');
    expect(lookup.started).toEqual(['a', 'b']);
    expect(lookup.signals.get('a')?.aborted).toBe(true);
    expect(model.callCount).toBe(2);
  });

  it('joinAll runs every call, then answers each with its output or failure', async () => {
    const lookup = controlledLangChainTool();
    const run = agentGraph(modelAskingFor(['a', 'b', 'c']), createParallelToolNode([lookup.tool], { policy: 'joinAll' })).invoke(question);
    await lookup.whenStarted(3);
    lookup.reject('b', new Error('b broke'));
    lookup.resolve('c', 'C');
    lookup.resolve('a', 'A');

    const { messages } = await run;
    expect(messages.slice(2, 5).map(summary)).toEqual([
      { type: 'tool', tool_call_id: 'a', name: 'lookup', status: 'success', content: 'A' },
      { type: 'tool', tool_call_id: 'b', name: 'lookup', status: 'error', content: errorContent('error', 'b broke') },
      { type: 'tool', tool_call_id: 'c', name: 'lookup', status: 'success', content: 'C' },
    ]);
  });

  it.each(['failFast', 'joinAll', 'settleAll'] as const)('lets interrupt() in a tool pause the graph under %s, and resumes it', async (policy) => {
    const pay = tool(
      ({ amount }) => {
        const answer = interrupt({ question: `pay ${amount}?` }) as string;
        return `paid ${amount}: ${answer}`;
      },
      { name: 'pay', description: 'Pays, once a human agrees', schema: z.object({ amount: z.number() }) },
    );
    const model = fakeModel()
      .respond(new AIMessage({ content: '', tool_calls: [{ id: 'p1', name: 'pay', args: { amount: 5 } }] }))
      .respond(new AIMessage('paid'));
    const graph = agentGraph(model, createParallelToolNode([pay], { policy }), new MemorySaver());
    const thread = { configurable: { thread_id: `thread-${policy}` } };

    const paused = await graph.invoke(question, thread);
    expect(paused.messages.map(summary).map((m) => m.type)).toEqual(['human', 'ai']);
    expect((paused as { __interrupt__?: Array<{ value: unknown }> }).__interrupt__?.map((i) => i.value)).toEqual([{ question: 'pay 5?' }]);

    const { messages } = await graph.invoke(new Command({ resume: 'yes' }), thread);
    expect(messages.slice(2).map(summary)).toEqual([
      { type: 'tool', tool_call_id: 'p1', name: 'pay', status: 'success', content: 'paid 5: yes' },
      { type: 'ai', content: 'paid', tool_calls: [] },
    ]);
  });

  it('cancels the batch when the graph run is aborted, aborting the running tools', async () => {
    const lookup = controlledLangChainTool();
    const controller = new AbortController();
    const model = modelAskingFor(['a', 'b']);
    const run = agentGraph(model, createParallelToolNode([lookup.tool])).invoke(question, { signal: controller.signal });
    await lookup.whenStarted(2);
    const reason = new Error('the user left');
    controller.abort(reason);

    await expect(run).rejects.toBe(reason);
    expect(lookup.signals.get('a')?.aborted).toBe(true);
    expect(lookup.signals.get('b')?.aborted).toBe(true);
    expect(model.callCount).toBe(1);
  });
});

describe('examples/langchain', () => {
  it('runs the README agent: three look-ups, two at a time, the failure answered as an error message', async () => {
    const { messages } = await weatherAgent(scriptedModel()).invoke({ messages: [new HumanMessage('Which city is coldest?')] });
    expect(messages.map(summary)).toEqual([
      { type: 'human', content: 'Which city is coldest?' },
      {
        type: 'ai',
        content: '',
        tool_calls: [
          { id: 'call_1', name: 'weather', args: { city: 'Oslo' } },
          { id: 'call_2', name: 'weather', args: { city: 'Atlantis' } },
          { id: 'call_3', name: 'weather', args: { city: 'Lima' } },
        ],
      },
      { type: 'tool', tool_call_id: 'call_1', name: 'weather', status: 'success', content: '{"city":"Oslo","celsius":12}' },
      { type: 'tool', tool_call_id: 'call_2', name: 'weather', status: 'error', content: errorContent('error', 'no weather station in Atlantis') },
      { type: 'tool', tool_call_id: 'call_3', name: 'weather', status: 'success', content: '{"city":"Lima","celsius":12}' },
      { type: 'ai', content: 'Oslo and Lima are both 12°C; Atlantis has no weather station.', tool_calls: [] },
    ]);
  });
});
