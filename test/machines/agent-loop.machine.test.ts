import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, toPromise } from 'xstate';
import {
  agentLoopMachine,
  defaultMaxSteps,
  type AgentLoopEmitted,
  type AgentLoopInput,
  type ModelStepInput,
  type ModelStepOutput,
} from '../../machines/agent-loop.machine.js';
import { toolBatchMachine } from '../../machines/tool-batch.machine.js';
import { createAgentMachine } from '../../src/runtime/agent.js';
import { createScriptedModel, type ModelScript } from '../../src/models/scripted-model.js';
import { createToolRouter, type AnyTool } from '../../src/runtime/tools.js';
import { add, askFor, say, toolCall, user } from '../helpers/chat.js';
import { controlledTool, flush } from '../helpers/controlled-tool.js';
import { jsonErrorOf } from '../helpers/json-error.js';



function startAgent(script: ModelScript, tools: AnyTool[], input: Partial<AgentLoopInput> = {}) {
  const clock = new SimulatedClock();
  const machine = createAgentMachine({ model: createScriptedModel(script), tools });
  const actor = createActor(machine, { input: { messages: [user], ...input }, clock });
  const events: AgentLoopEmitted[] = [];
  actor.on('*', (event) => events.push(event));
  const done = toPromise(actor);
  actor.start();
  return { actor, events, clock, done };
}

/** A model whose every step waits for the test: `answer(step, output)` settles it. */
function deferredModel() {
  const pending = new Map<number, { input: ModelStepInput; signal: AbortSignal; resolve(output: ModelStepOutput): void; reject(error: unknown): void }>();
  const model = fromPromise<ModelStepOutput, ModelStepInput>(
    ({ input, signal }) => new Promise((resolve, reject) => pending.set(input.step, { input, signal, resolve, reject })),
  );
  return { model, pending };
}

describe('agentLoopMachine', () => {
  it('runs tool calls between model steps and ends in done, re-emitting the batch events with their step, in order', async () => {
    const ctl = controlledTool();
    const turn1 = askFor(toolCall('c0'), toolCall('c1'));
    const { events, clock, done } = startAgent([turn1, say('both done')], [ctl.tool], { options: { concurrency: 1 } });
    await flush();
    clock.increment(10);
    ctl.resolve('c0', { n: 0 });
    await flush();
    clock.increment(5);
    ctl.resolve('c1', 'one');
    const output = await done;

    expect(output).toEqual({
      status: 'done',
      messages: [
        user,
        turn1,
        { role: 'tool', tool_call_id: 'c0', content: '{"n":0}' },
        { role: 'tool', tool_call_id: 'c1', content: '"one"' },
        say('both done'),
      ],
      steps: [
        { step: 1, toolCalls: 2 },
        { step: 2, toolCalls: 0 },
      ],
    });
    const calls = [
      { id: 'c0', name: 'ctl', arguments: {} },
      { id: 'c1', name: 'ctl', arguments: {} },
    ];
    const options = { concurrency: 1, policy: 'failFast', timeoutMs: undefined, perToolConcurrency: {} };
    expect(events).toEqual([
      { type: 'model.started', step: 1, at: 0 },
      { type: 'model.finished', step: 1, at: 0, toolCalls: 2 },
      { type: 'batch.started', step: 1, calls, options, at: 0 },
      { type: 'call.started', step: 1, index: 0, id: 'c0', name: 'ctl', lane: 0, at: 0 },
      { type: 'call.settled', step: 1, index: 0, id: 'c0', name: 'ctl', status: 'succeeded', at: 10 },
      { type: 'call.started', step: 1, index: 1, id: 'c1', name: 'ctl', lane: 0, at: 10 },
      { type: 'call.settled', step: 1, index: 1, id: 'c1', name: 'ctl', status: 'succeeded', at: 15 },
      { type: 'batch.settled', step: 1, status: 'succeeded', at: 15 },
      { type: 'model.started', step: 2, at: 15 },
      { type: 'model.finished', step: 2, at: 15, toolCalls: 0 },
    ]);
  });

  it('embeds toolBatchMachine as the toolBatch child, with tools provided to it, and passes the model its input', async () => {
    const ctl = controlledTool();
    const { model, pending } = deferredModel();
    const tools = createToolRouter([ctl.tool]).toolSpecs;
    const machine = agentLoopMachine.provide({
      actors: { model, toolBatch: toolBatchMachine.provide({ actors: { runTool: createToolRouter([ctl.tool]).runTool } }) },
    });
    const actor = createActor(machine, { input: { messages: [user], tools } }).start();
    await flush();
    expect(pending.get(1)!.input).toEqual({ messages: [user], tools, step: 1 });
    pending.get(1)!.resolve({ message: askFor(toolCall('c0')), usage: { promptTokens: 12, completionTokens: 3 } });
    await flush();
    expect(actor.getSnapshot().value).toBe('runningTools');
    const child = actor.getSnapshot().children.toolBatch!;
    expect((child.getSnapshot() as { value: unknown }).value).toBe('running');
    expect(ctl.started).toEqual(['c0']);
    ctl.resolve('c0', 5);
    await flush();
    expect(pending.get(2)!.input.messages).toEqual([user, askFor(toolCall('c0')), { role: 'tool', tool_call_id: 'c0', content: '5' }]);
    expect(pending.get(2)!.input.step).toBe(2);
    pending.get(2)!.resolve({ message: say('five'), usage: { promptTokens: 20, completionTokens: 1 } });
    const output = await toPromise(actor);
    expect(output.steps).toEqual([
      { step: 1, toolCalls: 1, usage: { promptTokens: 12, completionTokens: 3 } },
      { step: 2, toolCalls: 0, usage: { promptTokens: 20, completionTokens: 1 } },
    ]);
    expect(actor.getSnapshot().children).toEqual({});
  });

  it('ends in failed when a batch fails under failFast, keeping the failures and the replies gathered so far', async () => {
    const ctl = controlledTool();
    const turn1 = askFor(toolCall('c0'), toolCall('c1'), toolCall('c2'));
    const { events, done } = startAgent([turn1, say('unreachable')], [ctl.tool], { options: { concurrency: 2 } });
    await flush();
    ctl.resolve('c1', 'one');
    await flush();
    ctl.reject('c2', new Error('c2 broke'));
    const output = await done;

    expect(output.status).toBe('failed');
    expect(output.messages).toEqual([user, turn1, { role: 'tool', tool_call_id: 'c1', content: '"one"' }]);
    expect(output.steps).toEqual([{ step: 1, toolCalls: 3 }]);
    const error = output.error!;
    expect(error.kind).toBe('batch');
    if (error.kind !== 'batch') return;
    expect(error.message).toBe('The tool batch of step 1 failed under failFast: call 2 (ctl, id c2) failed with error: c2 broke');
    expect(error.policy).toBe('failFast');
    expect(error.failures.map(({ index, kind }) => ({ index, kind }))).toEqual([
      { index: 2, kind: 'error' },
      { index: 0, kind: 'aborted' },
    ]);
    expect(error.outputs).toEqual([undefined, { id: 'c1', result: 'one' }, undefined]);
    expect(events.map((event) => `${event.type}${'index' in event ? ` ${event.index}` : ''}${'status' in event ? ` ${event.status}` : ''}`)).toEqual([
      'model.started',
      'model.finished',
      'batch.started',
      'call.started 0',
      'call.started 1',
      'call.settled 1 succeeded',
      'call.started 2',
      'call.settled 2 failed',
      'call.settled 0 aborted',
      'batch.settled failed',
    ]);
  });

  it('under joinAll ends in failed after every call settled', async () => {
    const { done } = startAgent([askFor(toolCall('a', 'nope'), toolCall('b', 'nope'))], [controlledTool().tool], {
      options: { policy: 'joinAll' },
    });
    const output = await done;
    expect(output.status).toBe('failed');
    expect(output.error?.kind === 'batch' && output.error.failures.map(({ id, kind }) => `${id} ${kind}`)).toEqual(['a unknownTool', 'b unknownTool']);
  });

  it('under settleAll writes a failed call as an error tool message and goes on to the next step', async () => {
    const ctl = controlledTool();
    const turn1 = askFor(toolCall('c0'), toolCall('c1', 'ctl', '{"broken'));
    const { done } = startAgent([turn1, say('noted')], [ctl.tool], { options: { policy: 'settleAll' } });
    await flush();
    ctl.resolve('c0', true);
    const output = await done;
    expect(output).toEqual({
      status: 'done',
      messages: [
        user,
        turn1,
        { role: 'tool', tool_call_id: 'c0', content: 'true' },
        {
          role: 'tool',
          tool_call_id: 'c1',
          content: JSON.stringify({
            error: { kind: 'invalidArguments', message: `Invalid arguments for "ctl": arguments are not valid JSON: ${jsonErrorOf('{"broken')}` },
          }),
        },
        say('noted'),
      ],
      steps: [
        { step: 1, toolCalls: 2 },
        { step: 2, toolCalls: 0 },
      ],
    });
  });

  it("stops at maxSteps model calls in stepLimitReached, with the last turn's tool replies appended", async () => {
    const ctl = controlledTool();
    const rule: ModelScript = (_messages, step) => askFor(toolCall(`s${step}`));
    const { done, events } = startAgent(rule, [ctl.tool], { maxSteps: 2 });
    await flush();
    ctl.resolve('s1', 1);
    await flush();
    ctl.resolve('s2', 2);
    const output = await done;
    expect(output).toEqual({
      status: 'stepLimitReached',
      messages: [
        user,
        askFor(toolCall('s1')),
        { role: 'tool', tool_call_id: 's1', content: '1' },
        askFor(toolCall('s2')),
        { role: 'tool', tool_call_id: 's2', content: '2' },
      ],
      steps: [
        { step: 1, toolCalls: 1 },
        { step: 2, toolCalls: 1 },
      ],
    });
    expect(events.filter((event) => event.type === 'model.started').map((event) => event.step)).toEqual([1, 2]);
    expect(events.at(-1)).toEqual({ type: 'batch.settled', step: 2, status: 'succeeded', at: 0 });
  });

  it(`allows ${defaultMaxSteps} model calls by default`, async () => {
    const always: ModelScript = (_messages, step) => askFor(toolCall(`s${step}`, 'add', '{"a":1,"b":1}'));
    const output = await startAgent(always, [add]).done;
    expect(defaultMaxSteps).toBe(8);
    expect(output.status).toBe('stepLimitReached');
    expect(output.steps.map((step) => step.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(output.messages).toHaveLength(1 + 8 * 2);
    expect(output.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 's8', content: '2' });
  });

  it('ends in failed with kind model when the model fails, keeping the conversation', async () => {
    const turn1 = askFor(toolCall('c0', 'add', '{"a":2,"b":3}'));
    const { done, events } = startAgent([turn1], [add]);
    const output = await done;
    expect(output.status).toBe('failed');
    expect(output.messages).toEqual([user, turn1, { role: 'tool', tool_call_id: 'c0', content: '5' }]);
    expect(output.steps).toEqual([{ step: 1, toolCalls: 1 }]);
    expect(output.error).toEqual({
      kind: 'model',
      step: 2,
      message: 'The model failed at step 2: The scripted model has no turn 2: its script has 1',
      error: new Error('The scripted model has no turn 2: its script has 1'),
    });
    expect(events.map((event) => event.type).slice(-2)).toEqual(['batch.settled', 'model.started']);
  });

  it('fails with the default model actor when no model was provided', async () => {
    const output = await toPromise(createActor(agentLoopMachine, { input: { messages: [user] } }).start());
    expect(output.status).toBe('failed');
    expect(output.error?.message).toBe(
      'The model failed at step 1: No model was provided: agentLoopMachine.provide({ actors: { model } })',
    );
  });

  it('ends in failed with kind invalidModelOutput for a turn whose call ids repeat (no reply could tell them apart)', async () => {
    const turn1 = askFor(toolCall('same', 'add', '{}'), toolCall('same', 'add', '{}'));
    const output = await startAgent([turn1], [add]).done;
    expect(output.status).toBe('failed');
    expect(output.messages).toEqual([user]);
    expect(output.error?.kind).toBe('invalidModelOutput');
    expect(output.error?.message).toBe(
      "The model's output at step 1 is malformed: expected `message.tool_calls[1].id` to be unique in the turn, got `\"same\"` (string) twice",
    );
  });

  it('on agent.cancel while tools run, aborts them, keeps the finished replies and ends in failed with kind cancelled', async () => {
    const ctl = controlledTool();
    const turn1 = askFor(toolCall('c0'), toolCall('c1'), toolCall('c2'));
    const { actor, done, events } = startAgent([turn1, say('unreachable')], [ctl.tool], { options: { concurrency: 2 } });
    await flush();
    ctl.resolve('c0', 'zero');
    await flush();
    const signal = ctl.pending.get('c1')!.signal;
    actor.send({ type: 'agent.cancel' });
    const output = await done;
    expect(signal.aborted).toBe(true);
    expect(ctl.started).toEqual(['c0', 'c1', 'c2']);
    expect(output.status).toBe('failed');
    expect(output.messages).toEqual([user, turn1, { role: 'tool', tool_call_id: 'c0', content: '"zero"' }]);
    expect(output.error).toEqual({ kind: 'cancelled', step: 1, message: 'The agent was cancelled at step 1' });
    expect(events.slice(-3).map((event) => `${event.type} ${'status' in event ? event.status : ''}`)).toEqual([
      'call.settled aborted',
      'call.settled aborted',
      'batch.settled cancelled',
    ]);
  });

  it('on agent.cancel while the model works, aborts its signal and ends in failed with kind cancelled', async () => {
    const { model, pending } = deferredModel();
    const machine = agentLoopMachine.provide({ actors: { model } });
    const actor = createActor(machine, { input: { messages: [user] } }).start();
    await flush();
    const { signal } = pending.get(1)!;
    actor.send({ type: 'agent.cancel' });
    const output = await toPromise(actor);
    expect(signal.aborted).toBe(true);
    expect(output).toEqual({
      status: 'failed',
      messages: [user],
      steps: [],
      error: { kind: 'cancelled', step: 1, message: 'The agent was cancelled at step 1' },
    });
  });

  it('rejects invalid input before anything runs: maxSteps, batch options, messages', () => {
    const errorOf = (input: unknown): unknown => {
      const snapshot = createActor(agentLoopMachine, { input: input as AgentLoopInput }).getSnapshot();
      return snapshot.status === 'error' ? snapshot.error : undefined;
    };
    expect(errorOf({ messages: [], maxSteps: 0 })).toEqual(
      new TypeError('Expected `maxSteps` to be an integer from 1 and up or `Infinity`, got `0` (number)'),
    );
    expect(errorOf({ messages: [], maxSteps: 1.5 })).toEqual(
      new TypeError('Expected `maxSteps` to be an integer from 1 and up or `Infinity`, got `1.5` (number)'),
    );
    expect(errorOf({ messages: [], options: { concurrency: 0 } })).toEqual(
      new TypeError('Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `0` (number)'),
    );
    expect(errorOf({ messages: 'hi' })).toEqual(
      new TypeError('Expected `messages` to be an array of chat messages, got `"hi"` (string)'),
    );
    expect(errorOf({ messages: [], maxSteps: Infinity })).toBeUndefined();
  });
});
