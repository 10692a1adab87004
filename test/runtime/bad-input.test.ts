/**
 * The bad input catalog: everything a model or a tool can throw at a batch.
 * Invalid calls and options reject with a TypeError before any tool starts;
 * a bad call or a bad tool fails only its own slot, with an exact kind and
 * message, and every other slot keeps its output.
 */
import { describe, expect, it, vi } from 'vitest';
import { createActor, SimulatedClock, toPromise } from 'xstate';
import { z } from 'zod';
import { toolBatchMachine } from '../../machines/tool-batch.machine.js';
import { ToolCallError } from '../../src/core/errors.js';
import { runToolBatch, type RunToolBatchOptions } from '../../src/runtime/run-tool-batch.js';
import type { BatchOptions, SettledResult, ToolCall } from '../../src/core/schemas.js';
import { createToolRouter, defineTool, type AnyTool } from '../../src/runtime/tools.js';
import { controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';
import { echo, failureAmongGood, good, goodOutput, rejectionOf, starts } from '../helpers/good-calls.js';

guardUnhandled();

/** A tool that does whatever the test says with its call. */
function badTool(name: string, execute: (context: { signal: AbortSignal }) => unknown, timeoutMs?: number): AnyTool {
  return defineTool({
    name,
    description: `misbehaves: ${name}`,
    parameters: z.unknown(),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: (_args, { signal }) => {
      starts.count++;
      return execute({ signal });
    },
  });
}

describe('bad input', () => {
  describe('invalid calls reject with a TypeError before any tool starts', () => {
    const cases: Array<[string, unknown, string]> = [
      ['calls is a string', 'echo hi', 'Expected `calls` to be an array of tool calls, got `"echo hi"` (string)'],
      ['calls is undefined', undefined, 'Expected `calls` to be an array of tool calls, got `undefined` (undefined)'],
      ['calls is an object', { 0: good(0) }, 'Expected `calls` to be an array of tool calls, got `an object` (object)'],
      ['a call is null', [good(0), null], 'Expected `calls[1]` to be an object `{ id, name, arguments }`, got `null` (null)'],
      ['a call is an array', [[]], 'Expected `calls[0]` to be an object `{ id, name, arguments }`, got `an array` (array)'],
      ['an id is missing', [good(0), { name: 'echo', arguments: {} }], 'Expected `calls[1].id` to be a non-empty string, got `undefined` (undefined)'],
      ['an id is empty', [{ id: '', name: 'echo', arguments: {} }], 'Expected `calls[0].id` to be a non-empty string, got `""` (string)'],
      ['an id is a number', [{ id: 7, name: 'echo', arguments: {} }], 'Expected `calls[0].id` to be a non-empty string, got `7` (number)'],
      ['a name is missing', [{ id: 'a', arguments: {} }], 'Expected `calls[0].name` to be a non-empty string, got `undefined` (undefined)'],
      ['a name is empty', [good(0), { id: 'a', name: '', arguments: {} }], 'Expected `calls[1].name` to be a non-empty string, got `""` (string)'],
      ['ids repeat', [good(0), good(1), { ...good(2), id: 'g0' }], 'Expected unique call ids, got `"g0"` twice (calls[2].id)'],
    ];
    it.each(cases)('%s', async (_label, calls, message) => {
      starts.count = 0;
      await expect(runToolBatch(calls as ToolCall[], { tools: [echo] })).rejects.toThrow(new TypeError(message));
      await flush();
      expect(starts.count).toBe(0);
    });
  });

  describe('invalid options reject with a TypeError that names the option, the value and its type', () => {
    const concurrency = 'Expected `concurrency` to be an integer from 1 and up or `Infinity`, got';
    const timeout = 'Expected `timeoutMs` to be a number of milliseconds above 0, or `Infinity`, got';
    const cases: Array<[string, BatchOptions, string]> = [
      ['concurrency 0', { concurrency: 0 }, `${concurrency} \`0\` (number)`],
      ['concurrency -1', { concurrency: -1 }, `${concurrency} \`-1\` (number)`],
      ['concurrency 1.5', { concurrency: 1.5 }, `${concurrency} \`1.5\` (number)`],
      ['concurrency NaN', { concurrency: NaN }, `${concurrency} \`NaN\` (number)`],
      ['concurrency "3"', { concurrency: '3' as unknown as number }, `${concurrency} \`"3"\` (string)`],
      ['timeoutMs -1', { timeoutMs: -1 }, `${timeout} \`-1\` (number)`],
      ['timeoutMs 0', { timeoutMs: 0 }, `${timeout} \`0\` (number)`],
      ['timeoutMs NaN', { timeoutMs: NaN }, `${timeout} \`NaN\` (number)`],
      ['an unknown policy', { policy: 'sometimes' as 'joinAll' }, "Expected `policy` to be one of 'joinAll', 'failFast', 'settleAll', got `\"sometimes\"` (string)"],
      ['a per-tool limit of 0', { perToolConcurrency: { echo: 0 } }, 'Expected `perToolConcurrency.echo` to be an integer from 1 and up or `Infinity`, got `0` (number)'],
    ];
    it.each(cases)('%s', async (_label, options, message) => {
      starts.count = 0;
      await expect(runToolBatch([good(0)], { tools: [echo], ...options })).rejects.toThrow(new TypeError(message));
      await flush();
      expect(starts.count).toBe(0);
    });

    it('no tools and no router', async () => {
      await expect(runToolBatch([good(0)], {} as RunToolBatchOptions)).rejects.toThrow(
        new TypeError('Expected `tools` (an array of tools) or `router`, got `undefined` (undefined)'),
      );
    });
  });

  describe('a bad call fails only its own slot', () => {
    it('arguments that are not JSON (the model sent a broken string): invalidArguments', async () => {
      const failure = await failureAmongGood({ name: 'echo', arguments: '{"text": "hi"' });
      expect([failure.kind, failure.message]).toEqual(['invalidArguments', 'Invalid arguments for "echo": ✖ Invalid input: expected object, received string']);
    });

    it('arguments missing: invalidArguments', async () => {
      const failure = await failureAmongGood({ name: 'echo', arguments: undefined });
      expect([failure.kind, failure.message]).toEqual(['invalidArguments', 'Invalid arguments for "echo": ✖ Invalid input: expected object, received undefined']);
    });

    it('arguments holding a BigInt, which JSON cannot: invalidArguments', async () => {
      const failure = await failureAmongGood({ name: 'echo', arguments: { text: 1n } });
      expect([failure.kind, failure.message]).toEqual(['invalidArguments', 'Invalid arguments for "echo": ✖ Invalid input: expected string, received bigint;   → at text']);
    });

    it('arguments that fail zod: invalidArguments carrying the zod issues', async () => {
      const failure = await failureAmongGood({ name: 'echo', arguments: { text: 42 } });
      expect([failure.kind, failure.message]).toEqual(['invalidArguments', 'Invalid arguments for "echo": ✖ Invalid input: expected string, received number;   → at text']);
      const details = (failure.error as ToolCallError).details as Array<{ code: string; path: unknown[] }>;
      expect(details.map((issue) => [issue.code, issue.path])).toEqual([['invalid_type', ['text']]]);
    });

    it('an unknown tool: unknownTool, naming the known tools', async () => {
      const failure = await failureAmongGood({ name: 'nope', arguments: {} });
      expect([failure.kind, failure.message]).toEqual(['unknownTool', 'No tool named "nope" (known tools: "echo")']);
    });
  });

  describe('a bad tool fails only its own slot', () => {
    const cases: Array<[string, () => unknown, string, string]> = [
      ['throws an Error synchronously', () => { throw new Error('sync boom'); }, 'error', 'sync boom'],
      ['throws a string synchronously', () => { throw 'oops'; }, 'error', 'the tool threw a non-Error value: "oops"'],
      ['rejects with a string', () => Promise.reject('nope'), 'error', 'the tool threw a non-Error value: "nope"'],
      ['rejects with undefined', () => Promise.reject(undefined), 'error', 'the tool threw a non-Error value: undefined'],
      ['rejects with null', () => Promise.reject(null), 'error', 'the tool threw a non-Error value: null'],
      ['rejects with an Error without a message', () => Promise.reject(new RangeError()), 'error', 'RangeError'],
      ['throws a ToolCallError of its own kind', () => { throw new ToolCallError('invalidArguments', 'bad date'); }, 'invalidArguments', 'bad date'],
      ['returns undefined', () => undefined, 'invalidResult', "the tool's result is not JSON: $ is undefined"],
      ['resolves to undefined', async () => undefined, 'invalidResult', "the tool's result is not JSON: $ is undefined"],
      ['returns a BigInt', () => 10n, 'invalidResult', "the tool's result is not JSON: $ is a BigInt"],
      ['returns a cycle', () => { const node: Record<string, unknown> = { a: 1 }; node.self = node; return node; }, 'invalidResult', "the tool's result is not JSON: $.self is a cycle"],
      ['returns a function', () => () => 1, 'invalidResult', "the tool's result is not JSON: $ is a function"],
      ['returns a function inside an array', () => ({ list: [1, () => 1] }), 'invalidResult', "the tool's result is not JSON: $.list[1] is a function"],
      ['returns NaN', () => NaN, 'invalidResult', "the tool's result is not JSON: $ is NaN, which JSON cannot hold"],
      ['returns a symbol', () => Symbol('s'), 'invalidResult', "the tool's result is not JSON: $ is a symbol"],
      ['returns an object whose toJSON throws', () => ({ toJSON: () => { throw new Error('toJSON boom'); } }), 'invalidResult', "the tool's result is not JSON: reading it threw: toJSON boom"],
      ['resolves to an object whose toJSON throws', async () => ({ toJSON: () => { throw new Error('toJSON boom'); } }), 'invalidResult', "the tool's result is not JSON: reading it threw: toJSON boom"],
      ['resolves to an object with a getter that throws', async () => ({ get x(): never { throw new Error('getter boom'); } }), 'invalidResult', "the tool's result is not JSON: reading it threw: getter boom"],
      ['returns a thenable whose then throws', () => ({ then() { throw new Error('then boom'); } }), 'error', 'then boom'],
      ['returns a thenable whose then is a getter that throws', () => ({ get then(): never { throw new Error('then getter boom'); } }), 'error', 'then getter boom'],
    ];
    it.each(cases)('%s', async (label, execute, kind, message) => {
      const failure = await failureAmongGood({ name: 'bad', arguments: {} }, [badTool('bad', execute)]);
      expect([failure.kind, failure.message]).toEqual([kind, message]);
      if (label.includes('rejects with a string')) expect(failure.error).toBe('nope');
    });

    it('a thenable that fulfils twice, then throws: the first value counts', async () => {
      const twice = badTool('twice', () => ({
        then(fulfil: (value: unknown) => void) {
          fulfil('first');
          fulfil('second');
          throw new Error('after');
        },
      }));
      const outputs = await runToolBatch([good(0), { id: 'twice', name: 'twice', arguments: {} }], { tools: [echo, twice] });
      expect(outputs).toEqual([goodOutput(0), { id: 'twice', result: 'first' }]);
    });

    it('keeps per-slot results under settleAll: the bad slot fails, the others succeed', async () => {
      const results = await runToolBatch([good(0), { id: 'bad', name: 'bad', arguments: {} }, good(2)], {
        tools: [echo, badTool('bad', () => 10n)],
        policy: 'settleAll',
      });
      expect(results.map((r: SettledResult) => (r.ok ? r.output : [r.failure.index, r.failure.kind]))).toEqual([
        goodOutput(0),
        [1, 'invalidResult'],
        goodOutput(2),
      ]);
    });
  });

  describe('time and late settlements', () => {
    it('a tool that never settles times out on the clock, with its signal aborted by a TimeoutError', async () => {
      const clock = new SimulatedClock();
      const signals: AbortSignal[] = [];
      const never = badTool('never', ({ signal }) => {
        signals.push(signal);
        return new Promise(() => {});
      });
      const batch = failureAmongGood({ name: 'never', arguments: {} }, [never], { timeoutMs: 50, clock });
      await flush();
      clock.increment(49);
      await flush();
      expect(signals[0]!.aborted).toBe(false);
      clock.increment(1);
      const failure = await batch;
      expect([failure.kind, failure.message]).toEqual(['timeout', 'the tool did not settle within 50 ms']);
      expect(signals[0]!.aborted).toBe(true);
      expect((signals[0]!.reason as DOMException).name).toBe('TimeoutError');
      expect(failure.error).toBe(signals[0]!.reason);
    });

    it.each([2 ** 31, 1e10])('timeoutMs %d, beyond what a timer can wait, means no timeout (not a 1 ms one)', async (timeoutMs) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
      try {
        const slow = badTool('slow', () => new Promise((resolve) => setTimeout(() => resolve('done'), 10)));
        const batch = runToolBatch([{ id: 'a', name: 'slow', arguments: {} }], { tools: [slow], policy: 'settleAll', timeoutMs });
        await vi.advanceTimersByTimeAsync(10);
        expect(await batch).toEqual([{ ok: true, output: { id: 'a', result: 'done' } }]);
      } finally {
        vi.useRealTimers();
      }
    });

    it('a timeout that ends the batch leaves no warning about events sent to a stopped actor', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const clock = new SimulatedClock();
        const never = badTool('never', () => new Promise(() => {}));
        const rejection = rejectionOf(runToolBatch([{ id: 'a', name: 'never', arguments: {} }], { tools: [never], timeoutMs: 10, clock }));
        await flush();
        clock.increment(10);
        expect((await rejection).failures.map((f) => f.kind)).toEqual(['timeout']);
        await flush();
        expect(warn.mock.calls).toEqual([]);
      } finally {
        warn.mockRestore();
      }
    });

    it("a tool's own timeoutMs wins over the batch's", async () => {
      const clock = new SimulatedClock();
      const never = badTool('never', () => new Promise(() => {}), 20);
      const batch = failureAmongGood({ name: 'never', arguments: {} }, [never], { timeoutMs: 50, clock });
      await flush();
      clock.increment(20);
      const failure = await batch;
      expect([failure.kind, failure.message]).toEqual(['timeout', 'the tool did not settle within 20 ms']);
    });

    it('a tool that resolves after the batch failed changes nothing', async () => {
      const ctl = controlledTool();
      const calls = ['a', 'b', 'c'].map((id) => ({ id, name: 'ctl', arguments: {} }));
      const rejection = rejectionOf(runToolBatch(calls, { tools: [ctl.tool], policy: 'failFast' }));
      await flush();
      ctl.resolve('a', 'kept');
      await flush();
      const late = ctl.pending.get('c')!;
      ctl.reject('b', new Error('first'));
      const error = await rejection;
      late.resolve('late');
      await flush();
      expect(error.failures.map((f) => [f.index, f.kind])).toEqual([
        [1, 'error'],
        [2, 'aborted'],
      ]);
      expect(error.outputs).toEqual([{ id: 'a', result: 'kept' }, undefined, undefined]);
    });

    it('a tool that rejects after the batch was cancelled raises no unhandled rejection, and completed outputs are kept', async () => {
      const ctl = controlledTool();
      const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([ctl.tool]).runTool } });
      const calls = ['a', 'b', 'c'].map((id) => ({ id, name: 'ctl', arguments: {} }));
      const actor = createActor(machine, { input: { calls, options: { concurrency: 2 } } }).start();
      await flush();
      ctl.resolve('a', 'kept');
      await flush();
      const late = [ctl.pending.get('b')!, ctl.pending.get('c')!];
      actor.send({ type: 'batch.cancel' });
      const output = await toPromise(actor);
      late.forEach((call) => call.reject(new Error('rejected after the cancel')));
      await flush();
      expect(output).toEqual({ status: 'cancelled', outputs: [{ id: 'a', result: 'kept' }, undefined, undefined] });
      expect(late.map((call) => [call.id, call.signal.aborted])).toEqual([
        ['b', true],
        ['c', true],
      ]);
    });

    it('a tool that ignores its abort signal is reported aborted, and its late result is dropped', async () => {
      const ctl = controlledTool();
      const clock = new SimulatedClock();
      const stubborn = badTool('stubborn', () => new Promise((resolve) => clock.setTimeout(() => resolve('too late'), 100)));
      const calls = [
        { id: 'a', name: 'stubborn', arguments: {} },
        { id: 'b', name: 'ctl', arguments: {} },
      ];
      const rejection = rejectionOf(runToolBatch(calls, { tools: [stubborn, ctl.tool], policy: 'failFast', clock }));
      await flush();
      ctl.reject('b', new Error('boom'));
      const error = await rejection;
      clock.increment(100);
      await flush();
      expect(error.failures.map((f) => [f.index, f.kind, f.message])).toEqual([
        [1, 'error', 'boom'],
        [0, 'aborted', 'aborted before it settled: the batch ended'],
      ]);
      expect(error.outputs).toEqual([undefined, undefined]);
    });
  });

  it('calls the caller empties after the start still run as they were', async () => {
    const ctl = controlledTool();
    const calls = ['c0', 'c1', 'c2'].map((id) => ({ id, name: 'ctl', arguments: {} }));
    const batch = runToolBatch(calls, { tools: [ctl.tool], concurrency: 1 });
    calls.length = 0;
    for (const id of ['c0', 'c1', 'c2']) {
      await flush();
      ctl.resolve(id, id);
    }
    expect(await batch).toEqual(['c0', 'c1', 'c2'].map((id) => ({ id, result: id })));
  });

  it('a batch of 100,000 calls keeps every output in input order under N=64', async () => {
    const count = 100_000;
    let running = 0;
    let peak = 0;
    const square = defineTool({
      name: 'square',
      description: 'squares i',
      parameters: z.object({ i: z.number() }),
      execute: async ({ i }) => {
        peak = Math.max(peak, ++running);
        await Promise.resolve();
        running--;
        return i * i;
      },
    });
    const calls = Array.from({ length: count }, (_, i) => ({ id: `c${i}`, name: 'square', arguments: { i } }));
    const outputs = await runToolBatch(calls, { tools: [square], concurrency: 64 });
    expect(outputs).toHaveLength(count);
    expect(outputs.every((output, i) => output.id === `c${i}` && output.result === i * i)).toBe(true);
    expect(peak).toBe(64);
  }, 60_000);
});
