import { describe, expect, it } from 'vitest';
import { toToolCalls, toToolMessages, UnparsedArguments } from '../../src/core/chat-format.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { ToolBatchError } from '../../src/core/errors.js';
import type { SettledResult } from '../../src/core/schemas.js';
import { add, toolCall } from '../helpers/chat.js';



describe('toToolCalls', () => {
  it('parses each argument string as JSON, in tool_calls order', () => {
    expect(
      toToolCalls([
        toolCall('c1', 'add', '{"a":1,"b":2}'),
        toolCall('c2', 'echo', '[1,"x",null]'),
        toolCall('c3', 'echo', '"text"'),
        toolCall('c4', 'echo', 'null'),
      ]),
    ).toEqual([
      { id: 'c1', name: 'add', arguments: { a: 1, b: 2 } },
      { id: 'c2', name: 'echo', arguments: [1, 'x', null] },
      { id: 'c3', name: 'echo', arguments: 'text' },
      { id: 'c4', name: 'echo', arguments: null },
    ]);
  });

  it('reads an empty or blank argument string as no arguments: {}', () => {
    expect(toToolCalls([toolCall('c1', 'now', ''), toolCall('c2', 'now', '  \n')])).toEqual([
      { id: 'c1', name: 'now', arguments: {} },
      { id: 'c2', name: 'now', arguments: {} },
    ]);
  });

  it('turns an argument string that is not JSON into UnparsedArguments, never null, and keeps the other calls', () => {
    const calls = toToolCalls([toolCall('c1', 'add', '{"a":1,"b":2}'), toolCall('c2', 'add', '{"a":'), toolCall('c3', 'add', "{a: 1}")]);
    expect(calls[0]).toEqual({ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } });
    const bad = calls[1]!.arguments;
    expect(UnparsedArguments.isInstance(bad)).toBe(true);
    expect(bad).toBeInstanceOf(UnparsedArguments);
    expect((bad as UnparsedArguments).raw).toBe('{"a":');
    expect((bad as UnparsedArguments).reason).toBe('Unexpected end of JSON input');
    expect(JSON.stringify(bad)).toBe('{"unparsedArguments":"{\\"a\\":"}');
    expect((calls[2]!.arguments as UnparsedArguments).raw).toBe('{a: 1}');
    expect(UnparsedArguments.isInstance({ raw: 'x', reason: 'y' })).toBe(false);
    expect(UnparsedArguments.isInstance(null)).toBe(false);
  });

  it('makes bad argument JSON an invalidArguments failure of that call only when it runs', async () => {
    const calls = toToolCalls([toolCall('c1', 'add', '{"a":1,"b":2}'), toolCall('c2', 'add', '{"a":'), toolCall('c3', 'add', '{"a":3,"b":4}')]);
    const results = await runToolBatch(calls, { tools: [add], policy: 'settleAll' });
    expect(results.map((result) => (result.ok ? result.output : { kind: result.failure.kind, message: result.failure.message }))).toEqual([
      { id: 'c1', result: 3 },
      { kind: 'invalidArguments', message: 'Invalid arguments for "add": arguments are not valid JSON: Unexpected end of JSON input' },
      { id: 'c3', result: 7 },
    ]);
    const failure = (results[1] as Extract<SettledResult, { ok: false }>).failure;
    expect(failure.index).toBe(1);
    expect((failure.error as { details: unknown }).details).toEqual({ raw: '{"a":' });
  });

  it('fails the batch with invalidArguments for bad JSON under failFast', async () => {
    const error = await runToolBatch(toToolCalls([toolCall('c1', 'add', 'not json')]), { tools: [add] }).catch((e: unknown) => e);
    expect(ToolBatchError.isInstance(error)).toBe(true);
    const { failures } = error as ToolBatchError;
    expect(failures.map(({ id, kind }) => ({ id, kind }))).toEqual([{ id: 'c1', kind: 'invalidArguments' }]);
    expect(failures[0]!.message).toBe(
      'Invalid arguments for "add": arguments are not valid JSON: Unexpected token \'o\', "not json" is not valid JSON',
    );
  });
});

describe('toToolMessages', () => {
  const toolCalls = [toolCall('c1', 'add', '{}'), toolCall('c2', 'add', '{}'), toolCall('c3', 'add', '{}')];

  it('makes one tool message per output, in tool_calls order, with JSON content', () => {
    expect(
      toToolMessages(toolCalls, [
        { id: 'c1', result: 3 },
        { id: 'c2', result: { city: 'Oslo', tags: ['a'] } },
        { id: 'c3', result: 'text' },
      ]),
    ).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: '3' },
      { role: 'tool', tool_call_id: 'c2', content: '{"city":"Oslo","tags":["a"]}' },
      { role: 'tool', tool_call_id: 'c3', content: '"text"' },
    ]);
  });

  it('writes a failed settleAll slot as {"error":{"kind","message"}}', () => {
    const results: SettledResult[] = [
      { ok: true, output: { id: 'c1', result: null } },
      { ok: false, failure: { index: 1, id: 'c2', name: 'add', kind: 'timeout', message: 'too slow', error: new Error('x') } },
      { ok: true, output: { id: 'c3', result: [1] } },
    ];
    expect(toToolMessages(toolCalls, results)).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: 'null' },
      { role: 'tool', tool_call_id: 'c2', content: '{"error":{"kind":"timeout","message":"too slow"}}' },
      { role: 'tool', tool_call_id: 'c3', content: '[1]' },
    ]);
  });

  it('skips calls with no outcome, as in ToolBatchError.outputs', () => {
    expect(toToolMessages(toolCalls, [undefined, { id: 'c2', result: 2 }, undefined])).toEqual([
      { role: 'tool', tool_call_id: 'c2', content: '2' },
    ]);
  });
});
