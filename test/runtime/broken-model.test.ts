/**
 * Issue 12, class 6: the step layer and the agent loop survive a broken
 * model. A malformed call fails alone with `invalidArguments` naming the
 * field; a malformed turn ends the run `failed` with kind
 * `invalidModelOutput` and the conversation so far (`withParallelTools`
 * rejects with a `TypeError` naming the field); `runAgent` rejects only for
 * invalid options; only the newest assistant turn's calls are unanswered.
 */
import { describe, expect, it } from 'vitest';
import type { AssistantMessage, ChatMessage, ChatToolCall } from '../../src/core/chat-format.js';
import { ToolBatchError } from '../../src/core/errors.js';
import type { ChatModel } from '../../src/models/chat-model.js';
import { runAgent } from '../../src/runtime/agent.js';
import { withParallelTools, type ChatStep } from '../../src/runtime/parallel-tools-step.js';
import { add, askFor, say, toolCall, user } from '../helpers/chat.js';
import { hostile } from '../helpers/hostile.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

/** A call the model sent malformed: `function` replaced by `fn`. */
const broken = (id: string, fn: unknown): ChatToolCall => ({ id, type: 'function', function: fn } as ChatToolCall);

/** A step that appends one fixed assistant turn and goes on. */
const stepWith = (turn: unknown): ChatStep => async (messages) => ({ type: 'next', messages: [...messages, turn as AssistantMessage], invokedTools: [] });

/** A model that resolves each scripted output in turn, whatever it is, and counts its calls. */
function modelOf(...outputs: Array<() => unknown>): ChatModel & { calls: number } {
  const model = {
    name: 'broken',
    calls: 0,
    complete: async () => outputs[model.calls++]!() as never,
  };
  return model;
}

const sum = (id: string, a: number, b: number): ChatToolCall => toolCall(id, 'add', JSON.stringify({ a, b }));
const objectArguments = 'Invalid tool call: expected `function.arguments` to be a JSON string, got `an object` (object)';

describe('withParallelTools with a broken model', () => {
  it('answers a call whose id an earlier turn already used (call_0 every turn): only the newest turn counts', async () => {
    const earlier: ChatMessage[] = [user, askFor(sum('call_0', 1, 2)), { role: 'tool', tool_call_id: 'call_0', content: '3' }];
    const step = withParallelTools(stepWith(askFor(sum('call_0', 3, 4))), { tools: [add] });
    expect(await step(earlier)).toEqual({
      type: 'next',
      messages: [...earlier, askFor(sum('call_0', 3, 4)), { role: 'tool', tool_call_id: 'call_0', content: '7' }],
      invokedTools: ['add'],
    });
  });

  it.each([
    ['function.arguments is an object', broken('c2', { name: 'add', arguments: { a: 1, b: 2 } }), 'add', objectArguments],
    ['function.arguments is missing', broken('c2', { name: 'add' }), 'add', 'Invalid tool call: expected `function.arguments` to be a JSON string, got `undefined` (undefined)'],
    ['function.name is a number', broken('c2', { name: 7, arguments: '{}' }), '(invalid)', 'Invalid tool call: expected `function.name` to be a non-empty string, got `7` (number)'],
    ['function is missing', broken('c2', undefined), '(invalid)', 'Invalid tool call: expected `function` to be an object `{ name, arguments }`, got `undefined` (undefined)'],
  ])('%s: that call alone fails with invalidArguments naming the field', async (_label, bad, name, message) => {
    const turn = askFor(sum('c1', 1, 2), bad, sum('c3', 3, 4));
    const settled = await withParallelTools(stepWith(turn), { tools: [add], policy: 'settleAll' })([user]);
    expect(settled).toEqual({
      type: 'next',
      messages: [
        user,
        turn,
        { role: 'tool', tool_call_id: 'c1', content: '3' },
        { role: 'tool', tool_call_id: 'c2', content: JSON.stringify({ error: { kind: 'invalidArguments', message } }) },
        { role: 'tool', tool_call_id: 'c3', content: '7' },
      ],
      invokedTools: ['add', name, 'add'],
    });
    const error = (await withParallelTools(stepWith(turn), { tools: [add], policy: 'joinAll' })([user]).catch((e: unknown) => e)) as ToolBatchError;
    expect(ToolBatchError.isInstance(error)).toBe(true);
    expect(error.failures.map((f) => [f.index, f.id, f.name, f.kind, f.message])).toEqual([[1, 'c2', name, 'invalidArguments', message]]);
    expect(error.messages).toEqual([user, turn, { role: 'tool', tool_call_id: 'c1', content: '3' }, { role: 'tool', tool_call_id: 'c3', content: '7' }]);
  });

  it.each([
    ['tool_calls is not an array', { role: 'assistant', content: null, tool_calls: 'add' }, 'Expected `messages[1].tool_calls` to be an array of tool calls, got `"add"` (string)'],
    ['tool_calls is an object', { role: 'assistant', content: null, tool_calls: { 0: sum('c1', 1, 2) } }, 'Expected `messages[1].tool_calls` to be an array of tool calls, got `an object` (object)'],
    ['a call has no id', askFor(sum('c1', 1, 2), { type: 'function', function: { name: 'add', arguments: '{}' } } as ChatToolCall), 'Expected `messages[1].tool_calls[1].id` to be a non-empty string, got `undefined` (undefined)'],
    ['a call is null', askFor(sum('c1', 1, 2), null as unknown as ChatToolCall), 'Expected `messages[1].tool_calls[1]` to be a tool call `{ id, type, function }`, got `null` (null)'],
    ['two calls share an id', askFor(sum('c1', 1, 2), sum('c1', 3, 4)), 'Expected `messages[1].tool_calls[1].id` to be unique in the turn, got `"c1"` (string) twice'],
    ['content is a number', { role: 'assistant', content: 5 }, 'Expected `messages[1].content` to be a string or `null`, got `5` (number)'],
  ])('a malformed turn (%s) rejects with a TypeError naming the field', async (_label, turn, message) => {
    await expect(withParallelTools(stepWith(turn), { tools: [add] })([user])).rejects.toThrow(new TypeError(message));
  });

  it('a step that resolves something other than a step result rejects with a TypeError', async () => {
    const step = withParallelTools((async () => undefined) as unknown as ChatStep, { tools: [add] });
    await expect(step([user])).rejects.toThrow(
      new TypeError("Expected the step to resolve `{ type: 'next', … }` or `{ type: 'done', … }`, got `undefined` (undefined)"),
    );
  });
});

describe('runAgent with a broken model', () => {
  const malformed = "The model's output at step";
  it.each([
    ['{ message: null }', () => ({ message: null }), 'expected `message` to be an assistant message, got `null` (null)'],
    ['undefined', () => undefined, 'expected `output` to be an object `{ message, usage? }`, got `undefined` (undefined)'],
    ['a user message', () => ({ message: { role: 'user', content: 'hi' } }), "expected `message.role` to be `'assistant'`, got `\"user\"` (string)"],
    ['tool_calls that are not an array', () => ({ message: { role: 'assistant', content: null, tool_calls: { id: 'c1' } } }), 'expected `message.tool_calls` to be an array of tool calls, got `an object` (object)'],
    ['a call without an id', () => ({ message: askFor({ type: 'function', function: { name: 'add', arguments: '{}' } } as ChatToolCall) }), 'expected `message.tool_calls[0].id` to be a non-empty string, got `undefined` (undefined)'],
    ['usage that is not an object', () => ({ message: say('hi'), usage: 12 }), 'expected `usage` to be an object `{ promptTokens, completionTokens }`, got `12` (number)'],
    // Every read throws but `then`'s: a promise resolved with an object reads its `then` first.
    ['a Proxy whose every read throws', () => new Proxy({}, { get: (_, key) => { if (key === 'then') return undefined; throw new Error('get trap'); } }), 'expected the output to be readable, but reading it threw: get trap'],
  ])('resolves failed with invalidModelOutput and the conversation so far when step 2 resolves %s', async (_label, second, problem) => {
    const turn1 = askFor(sum('c1', 1, 2));
    const output = await runAgent({ model: modelOf(() => ({ message: turn1 }), second), tools: [add], messages: [user] });
    expect(output.status).toBe('failed');
    expect(output.messages).toEqual([user, turn1, { role: 'tool', tool_call_id: 'c1', content: '3' }]);
    expect(output.steps).toEqual([{ step: 1, toolCalls: 1 }]);
    expect(output.error?.kind).toBe('invalidModelOutput');
    expect(output.error?.message).toBe(`${malformed} 2 is malformed: ${problem}`);
  });

  it('keeps what the model resolved as error.output', async () => {
    const bad = { message: null };
    const output = await runAgent({ model: modelOf(() => bad), tools: [add], messages: [user] });
    expect(output.error).toEqual({ kind: 'invalidModelOutput', step: 1, message: `${malformed} 1 is malformed: expected \`message\` to be an assistant message, got \`null\` (null)`, output: bad });
    expect(output.messages).toEqual([user]);
  });

  it('a single malformed call fails alone under settleAll: the model reads why, and the run goes on', async () => {
    const turn1 = askFor(sum('c1', 1, 2), broken('c2', { name: 'add', arguments: { a: 1, b: 2 } }));
    const model = modelOf(() => ({ message: turn1 }), () => ({ message: say('done') }));
    const output = await runAgent({ model, tools: [add], messages: [user], policy: 'settleAll' });
    expect(output.status).toBe('done');
    expect(output.messages).toEqual([
      user,
      turn1,
      { role: 'tool', tool_call_id: 'c1', content: '3' },
      { role: 'tool', tool_call_id: 'c2', content: JSON.stringify({ error: { kind: 'invalidArguments', message: objectArguments } }) },
      say('done'),
    ]);
  });

  it('a model that rejects with a hostile value fails with kind model and a generic message', async () => {
    const thrown = hostile.proxyThatThrows();
    const output = await runAgent({ model: { name: 'hostile', complete: () => Promise.reject(thrown) }, tools: [add], messages: [user] });
    const error = output.error as Extract<typeof output.error, { kind: 'model' }>;
    expect([output.status, error.kind, error.step, error.message]).toEqual(['failed', 'model', 1, 'The model failed at step 1: a non-Error value: a value that could not be described']);
    expect(error.error).toBe(thrown);
  });

  it('a model whose complete throws synchronously fails with kind model', async () => {
    const complete = (): never => {
      throw new Error('no network');
    };
    const output = await runAgent({ model: { name: 'sync', complete }, tools: [add], messages: [user] });
    expect([output.status, output.error?.kind, output.error?.message]).toEqual(['failed', 'model', 'The model failed at step 1: no network']);
    expect(output.messages).toEqual([user]);
  });
});
