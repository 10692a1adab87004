import { describe, expect, it } from 'vitest';
import { assertToolCalls, resolveBatchOptions } from '../../src/core/options.js';

describe('resolveBatchOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveBatchOptions()).toEqual({ concurrency: Infinity, policy: 'failFast', timeoutMs: undefined, perToolConcurrency: {} });
  });

  it.each([
    [{ concurrency: 0 }, 'Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `0` (number)'],
    [{ concurrency: 1.5 }, 'Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `1.5` (number)'],
    [{ concurrency: '2' }, 'Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `"2"` (string)'],
    [{ policy: 'all' }, "Expected `policy` to be one of 'joinAll', 'failFast', 'settleAll', got `\"all\"` (string)"],
    [{ timeoutMs: -1 }, 'Expected `timeoutMs` to be a number of milliseconds above 0, or `Infinity`, got `-1` (number)'],
    [{ perToolConcurrency: { a: 0 } }, 'Expected `perToolConcurrency.a` to be an integer from 1 and up or `Infinity`, got `0` (number)'],
  ])('rejects %j with a TypeError naming the option, the value and its type', (options, message) => {
    expect(() => resolveBatchOptions(options as never)).toThrow(new TypeError(message));
  });
});

describe('assertToolCalls', () => {
  it.each([
    [{ length: 1 }, 'Expected `calls` to be an array of tool calls, got `an object` (object)'],
    [[null], 'Expected `calls[0]` to be an object `{ id, name, arguments }`, got `null` (null)'],
    [[{ id: '', name: 'a' }], 'Expected `calls[0].id` to be a non-empty string, got `""` (string)'],
    [[{ id: 'x', name: 'a' }, { id: 'y' }], 'Expected `calls[1].name` to be a non-empty string, got `undefined` (undefined)'],
    [[{ id: 'x', name: 'a' }, { id: 'x', name: 'b' }], 'Expected unique call ids, got `"x"` twice (calls[1].id)'],
  ])('rejects %j', (calls, message) => {
    expect(() => assertToolCalls(calls)).toThrow(new TypeError(message));
  });
});
