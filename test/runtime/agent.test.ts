import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, toPromise, type AnyActorRef } from 'xstate';
import { createAgentMachine, runAgent, type AgentLoopEmitted } from '../../src/runtime/agent.js';
import { createScriptedModel } from '../../src/models/scripted-model.js';
import { createToolRouter } from '../../src/runtime/tools.js';
import { add, askFor, say, toolCall, user } from '../helpers/chat.js';
import { controlledTool, flush } from '../helpers/controlled-tool.js';



describe('runAgent', () => {
  it('resolves with the conversation, the steps and status done', async () => {
    const turn1 = askFor(toolCall('c1', 'add', '{"a":1,"b":2}'), toolCall('c2', 'add', '{"a":3,"b":4}'));
    const events: AgentLoopEmitted['type'][] = [];
    const output = await runAgent({
      model: createScriptedModel([turn1, say('3 and 7')]),
      tools: [add],
      messages: [user],
      concurrency: 1,
      onEvent: (event) => events.push(event.type),
    });
    expect(output).toEqual({
      status: 'done',
      messages: [
        user,
        turn1,
        { role: 'tool', tool_call_id: 'c1', content: '3' },
        { role: 'tool', tool_call_id: 'c2', content: '7' },
        say('3 and 7'),
      ],
      steps: [
        { step: 1, toolCalls: 2 },
        { step: 2, toolCalls: 0 },
      ],
    });
    expect(events).toEqual([
      'model.started',
      'model.finished',
      'batch.started',
      'call.started',
      'call.settled',
      'call.started',
      'call.settled',
      'batch.settled',
      'model.started',
      'model.finished',
    ]);
  });

  it('resolves, not rejects, when the run fails, and does not change the caller\'s messages', async () => {
    const messages = [user];
    const output = await runAgent({
      model: createScriptedModel([askFor(toolCall('c1', 'nope', '{}'))]),
      router: createToolRouter([add]),
      messages,
      policy: 'failFast',
    });
    expect(output.status).toBe('failed');
    expect(output.error?.message).toBe(
      'The tool batch of step 1 failed under failFast: call 0 (nope, id c1) failed with unknownTool: No tool named "nope" (known tools: "add")',
    );
    expect(messages).toEqual([user]);
  });

  it('runs timeouts on the given clock', async () => {
    const slow = controlledTool('slow');
    const clock = new SimulatedClock();
    const run = runAgent({
      model: createScriptedModel([askFor(toolCall('c1', 'slow', '{}')), say('gave up')]),
      tools: [slow.tool],
      messages: [user],
      timeoutMs: 100,
      policy: 'settleAll',
      clock,
    });
    await flush();
    clock.increment(99);
    await flush();
    expect(slow.pending.has('c1')).toBe(true);
    clock.increment(1);
    const output = await run;
    expect(output.messages[2]).toEqual({
      role: 'tool',
      tool_call_id: 'c1',
      content: '{"error":{"kind":"timeout","message":"the tool did not settle within 100 ms"}}',
    });
    expect(output.status).toBe('done');
  });

  it('resolves with status failed and kind cancelled when the signal aborts, and aborts the running tools', async () => {
    const ctl = controlledTool();
    const controller = new AbortController();
    const run = runAgent({
      model: createScriptedModel([askFor(toolCall('c1', 'ctl', '{}'))]),
      tools: [ctl.tool],
      messages: [user],
      signal: controller.signal,
    });
    await flush();
    const { signal } = ctl.pending.get('c1')!;
    controller.abort();
    const output = await run;
    expect(signal.aborted).toBe(true);
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({ kind: 'cancelled', step: 1, message: 'The agent was cancelled at step 1' });
  });

  it('with an already aborted signal, ends in failed (cancelled) without calling the model or any tool', async () => {
    const ctl = controlledTool();
    const scripted = createScriptedModel([askFor(toolCall('c1', 'ctl', '{}'))]);
    const requests: unknown[] = [];
    const output = await runAgent({
      model: { name: 'counting', complete: (request) => (requests.push(request), scripted.complete(request)) },
      tools: [ctl.tool],
      messages: [user],
      signal: AbortSignal.abort(),
    });
    expect(output).toEqual({
      status: 'failed',
      messages: [user],
      steps: [],
      error: { kind: 'cancelled', step: 1, message: 'The agent was cancelled at step 1' },
    });
    expect([requests.length, ctl.started]).toEqual([0, []]);
  });

  it('rejects with what onEvent threw, after cancelling the run', async () => {
    const ctl = controlledTool();
    const thrown = new Error('listener broke');
    const rejection = runAgent({
      model: createScriptedModel([askFor(toolCall('c1', 'ctl', '{}'))]),
      tools: [ctl.tool],
      messages: [user],
      onEvent: (event) => {
        if (event.type === 'call.started') throw thrown;
      },
    }).catch((error: unknown) => error);
    await flush();
    expect(await rejection).toBe(thrown);
    expect(ctl.pending.get('c1')!.signal.aborted).toBe(true);
  });

  it('attaches inspect to the agent\'s actor system, which holds the model, the batch and its calls', async () => {
    const actors: string[] = [];
    await runAgent({
      model: createScriptedModel([askFor(toolCall('c1', 'add', '{"a":1,"b":1}')), say('2')]),
      tools: [add],
      messages: [user],
      inspect: (event) => {
        if (event.type === '@xstate.actor') actors.push((event.actorRef as AnyActorRef).id);
      },
    });
    // The root, then one actor per invocation; the batch's one call runs in a lane actor whose id is the batch's business.
    expect(actors).toHaveLength(5);
    expect(actors.filter((id) => ['model', 'toolBatch'].includes(id))).toEqual(['model', 'toolBatch', 'model']);
    expect(actors.indexOf('toolBatch')).toBe(2);
  });

  it('rejects with a TypeError for invalid options before calling the model', async () => {
    let calls = 0;
    const model = { name: 'counting', complete: async () => (calls++, { message: say('x') }) };
    const reasons = await Promise.all(
      [
        { model, tools: [add], messages: [user], maxSteps: 0 },
        { model, tools: [add], messages: [user], concurrency: -1 },
        { model, tools: [add], messages: 'hi' },
        { model, messages: [user] },
        { model: {}, tools: [add], messages: [user] },
      ].map((options) => runAgent(options as Parameters<typeof runAgent>[0]).catch((error: unknown) => error)),
    );
    expect(reasons).toEqual([
      new TypeError('Expected `maxSteps` to be an integer from 1 and up or `Infinity`, got `0` (number)'),
      new TypeError('Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `-1` (number)'),
      new TypeError('Expected `messages` to be an array of chat messages, got `"hi"` (string)'),
      new TypeError('Expected `tools` (an array of tools) or `router`, got `undefined` (undefined)'),
      new TypeError('Expected `model` to be a ChatModel with a `complete` method, got `an object` (object)'),
    ]);
    expect(calls).toBe(0);
  });
});

describe('createAgentMachine', () => {
  it('gives the model the router\'s tool specs and the step\'s signal', async () => {
    const requests: unknown[] = [];
    const machine = createAgentMachine({
      model: {
        name: 'spy',
        complete: async ({ messages, tools, signal }) => {
          requests.push({ messages, tools, signalIsSignal: signal instanceof AbortSignal });
          return { message: say('hi') };
        },
      },
      tools: [add],
    });
    const output = await toPromise(createActor(machine, { input: { messages: [user] } }).start());
    expect(output.status).toBe('done');
    expect(requests).toEqual([
      {
        messages: [user],
        tools: [
          {
            type: 'function',
            function: {
              name: 'add',
              description: 'Adds two numbers',
              parameters: {
                type: 'object',
                properties: { a: { type: 'number' }, b: { type: 'number' } },
                required: ['a', 'b'],
              },
            },
          },
        ],
        signalIsSignal: true,
      },
    ]);
  });
});
