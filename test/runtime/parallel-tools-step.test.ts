import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolBatchError } from '../../src/core/errors.js';
import type { AssistantMessage, ChatMessage, ChatToolCall } from '../../src/core/chat-format.js';
import { withParallelTools, type ChatStep } from '../../src/runtime/parallel-tools-step.js';
import { defineTool } from '../../src/runtime/tools.js';
import { add, toolCall, user } from '../helpers/chat.js';
import { controlledTool, flush } from '../helpers/controlled-tool.js';
import { jsonErrorOf } from '../helpers/json-error.js';

/** A tool call whose arguments are given as a value. */
const callWith = (id: string, name: string, args: unknown): ChatToolCall => toolCall(id, name, JSON.stringify(args));


const fail = defineTool({
  name: 'fail',
  description: 'Always throws',
  parameters: z.object({}),
  execute: () => {
    throw new Error('boom');
  },
});


/** A step that answers with one fixed assistant turn. */
function stepWith(turn: AssistantMessage): ChatStep {
  return async (messages) =>
    turn.tool_calls ? { type: 'next', messages: [...messages, turn], invokedTools: [] } : { type: 'done', messages: [...messages, turn] };
}

const mixedTurn: AssistantMessage = {
  role: 'assistant',
  content: null,
  tool_calls: [callWith('c1', 'add', { a: 1, b: 2 }), callWith('c2', 'fail', {}), callWith('c3', 'add', { a: 3, b: 4 })],
};

describe('withParallelTools', () => {
  it('appends one tool message per call in tool_calls order when later calls finish first', async () => {
    const ctl = controlledTool();
    const turn: AssistantMessage = { role: 'assistant', content: null, tool_calls: [callWith('c0', 'ctl', {}), callWith('c1', 'ctl', {}), callWith('c2', 'ctl', {})] };
    const step = withParallelTools(stepWith(turn), { tools: [ctl.tool], concurrency: 3 });
    const result = step([user]);
    await flush();
    ctl.resolve('c2', 'third');
    await flush();
    ctl.resolve('c0', { first: true });
    await flush();
    ctl.resolve('c1', 2);
    expect(await result).toEqual({
      type: 'next',
      messages: [
        user,
        turn,
        { role: 'tool', tool_call_id: 'c0', content: '{"first":true}' },
        { role: 'tool', tool_call_id: 'c1', content: '2' },
        { role: 'tool', tool_call_id: 'c2', content: '"third"' },
      ],
      invokedTools: ['ctl', 'ctl', 'ctl'],
    });
    expect(ctl.peak).toBe(3);
  });

  it('under settleAll writes failures as {"error":{"kind","message"}} tool messages and resolves', async () => {
    const badJson: ChatToolCall = { id: 'c4', type: 'function', function: { name: 'add', arguments: '{"a":1' } };
    const turn: AssistantMessage = { ...mixedTurn, tool_calls: [...mixedTurn.tool_calls!, badJson, callWith('c5', 'nope', {})] };
    const step = withParallelTools(stepWith(turn), { tools: [add, fail], policy: 'settleAll', concurrency: 2 });
    expect(await step([user])).toEqual({
      type: 'next',
      messages: [
        user,
        turn,
        { role: 'tool', tool_call_id: 'c1', content: '3' },
        { role: 'tool', tool_call_id: 'c2', content: '{"error":{"kind":"error","message":"boom"}}' },
        { role: 'tool', tool_call_id: 'c3', content: '7' },
        {
          role: 'tool',
          tool_call_id: 'c4',
          content: JSON.stringify({
            error: {
              kind: 'invalidArguments',
              message: `Invalid arguments for "add": arguments are not valid JSON: ${jsonErrorOf('{"a":1')}`,
            },
          }),
        },
        {
          role: 'tool',
          tool_call_id: 'c5',
          content: '{"error":{"kind":"unknownTool","message":"No tool named \\"nope\\" (known tools: \\"add\\", \\"fail\\")"}}',
        },
      ],
      invokedTools: ['add', 'fail', 'add', 'add', 'nope'],
    });
  });

  it('under failFast rejects with ToolBatchError whose messages keep the replies gathered so far', async () => {
    const ctl = controlledTool();
    const turn: AssistantMessage = {
      role: 'assistant',
      content: 'working',
      tool_calls: [callWith('c0', 'ctl', {}), callWith('c1', 'ctl', {}), callWith('c2', 'ctl', {})],
    };
    const step = withParallelTools(stepWith(turn), { tools: [ctl.tool], concurrency: 2, policy: 'failFast' });
    const rejection = step([user]).catch((error: unknown) => error);
    await flush();
    ctl.resolve('c1', 'one');
    await flush();
    const aborted = ctl.pending.get('c0')!.signal;
    ctl.reject('c2', new Error('c2 broke'));
    const error = await rejection;
    expect(ToolBatchError.isInstance(error)).toBe(true);
    const batchError = error as ToolBatchError;
    expect(batchError.policy).toBe('failFast');
    expect(batchError.failures.map(({ id, kind, message }) => ({ id, kind, message }))).toEqual([
      { id: 'c2', kind: 'error', message: 'c2 broke' },
      { id: 'c0', kind: 'aborted', message: 'aborted before it settled: the batch ended' },
    ]);
    expect(batchError.outputs).toEqual([undefined, { id: 'c1', result: 'one' }, undefined]);
    expect(batchError.messages).toEqual([user, turn, { role: 'tool', tool_call_id: 'c1', content: '"one"' }]);
    expect(batchError.message).toBe('Tool batch failed under failFast: call 2 (ctl, id c2) failed with error: c2 broke (and 1 more)');
    expect(aborted.aborted).toBe(true);
  });

  it('under joinAll runs every call, then rejects with every failure and the successful replies as messages', async () => {
    const step = withParallelTools(stepWith(mixedTurn), { tools: [add, fail], policy: 'joinAll', concurrency: 1 });
    const error = await step([user]).catch((e: unknown) => e);
    expect(ToolBatchError.isInstance(error)).toBe(true);
    const batchError = error as ToolBatchError;
    expect(batchError.policy).toBe('joinAll');
    expect(batchError.failures.map(({ index, id, kind }) => ({ index, id, kind }))).toEqual([{ index: 1, id: 'c2', kind: 'error' }]);
    expect(batchError.outputs).toEqual([{ id: 'c1', result: 3 }, undefined, { id: 'c3', result: 7 }]);
    expect(batchError.messages).toEqual([
      user,
      mixedTurn,
      { role: 'tool', tool_call_id: 'c1', content: '3' },
      { role: 'tool', tool_call_id: 'c3', content: '7' },
    ]);
  });

  it('resolves under joinAll and failFast when every call succeeds', async () => {
    const turn: AssistantMessage = { role: 'assistant', content: null, tool_calls: [callWith('a', 'add', { a: 1, b: 1 }), callWith('b', 'add', { a: 2, b: 2 })] };
    for (const policy of ['joinAll', 'failFast'] as const) {
      const result = await withParallelTools(stepWith(turn), { tools: [add], policy })([user]);
      expect(result).toEqual({
        type: 'next',
        messages: [user, turn, { role: 'tool', tool_call_id: 'a', content: '2' }, { role: 'tool', tool_call_id: 'b', content: '4' }],
        invokedTools: ['add', 'add'],
      });
    }
  });

  it('returns a done result unchanged and runs nothing', async () => {
    const ctl = controlledTool();
    const turn: AssistantMessage = { role: 'assistant', content: 'all done' };
    const result = await withParallelTools(stepWith(turn), { tools: [ctl.tool] })([user]);
    expect(result).toEqual({ type: 'done', messages: [user, turn] });
    expect(ctl.started).toEqual([]);
  });

  it('runs only the calls of the last assistant message that have no tool reply yet, and keeps invokedTools', async () => {
    const turn: AssistantMessage = { role: 'assistant', content: null, tool_calls: [callWith('c1', 'add', { a: 1, b: 2 }), callWith('c2', 'add', { a: 5, b: 5 })] };
    const answered: ChatMessage = { role: 'tool', tool_call_id: 'c1', content: '"cached"' };
    const inner: ChatStep = async (messages) => ({ type: 'next', messages: [...messages, turn, answered], invokedTools: ['search'] });
    const result = await withParallelTools(inner, { tools: [add] })([user]);
    expect(result).toEqual({
      type: 'next',
      messages: [user, turn, answered, { role: 'tool', tool_call_id: 'c2', content: '10' }],
      invokedTools: ['search', 'add'],
    });
  });

  it('returns a next result with no pending tool calls unchanged', async () => {
    const inner: ChatStep = async (messages) => ({ type: 'next', messages: [...messages, { role: 'assistant', content: 'thinking' }], invokedTools: [] });
    expect(await withParallelTools(inner, { tools: [add] })([user])).toEqual({
      type: 'next',
      messages: [user, { role: 'assistant', content: 'thinking' }],
      invokedTools: [],
    });
  });

  it('rejects with signal.reason when the signal aborts the batch, and aborts the running calls', async () => {
    const ctl = controlledTool();
    const controller = new AbortController();
    const turn: AssistantMessage = { role: 'assistant', content: null, tool_calls: [callWith('c0', 'ctl', {})] };
    const rejection = withParallelTools(stepWith(turn), { tools: [ctl.tool], signal: controller.signal })([user]).catch((e: unknown) => e);
    await flush();
    const signal = ctl.pending.get('c0')!.signal;
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await rejection).toBe(reason);
    expect(signal.aborted).toBe(true);
  });

  it('throws a TypeError for a step that is not a function', () => {
    expect(() => withParallelTools(42 as unknown as ChatStep, { tools: [add] })).toThrow(
      new TypeError('Expected `step` to be a function, got `42` (number)'),
    );
  });
});
