/**
 * Issue 12, classes 1–5 and 7: hostile thrown values, results JSON would
 * change, async schemas, every option checked before anything starts, a tool
 * that cannot corrupt the batch, and one signal shared by many batches. Each
 * case asserts the exact kind and message, and that every other slot keeps
 * its output. (Class 6, a broken model, is in broken-model.test.ts.)
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { z } from 'zod';
import { toolBatchMachine } from '../../machines/tool-batch.machine.js';
import { maxResultDepth } from '../../machines/json-result.js';
import type { ToolCall, ToolFailure } from '../../src/core/schemas.js';
import { assertToolBatchInput } from '../../src/core/options.js';
import { runAgent, runAgentOptionKeys, type RunAgentOptions } from '../../src/runtime/agent.js';
import { parallelToolsOptionKeys, withParallelTools } from '../../src/runtime/parallel-tools-step.js';
import { runToolBatch, runToolBatchOptionKeys, type RunToolBatchOptions } from '../../src/runtime/run-tool-batch.js';
import { compileParameters } from '../../src/runtime/tool-schema.js';
import { createToolRouter, defineTool, type AnyTool } from '../../src/runtime/tools.js';
import { controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';
import { hostile } from '../helpers/hostile.js';
import { echo, failureAmongGood, good, goodOutput, starts } from '../helpers/good-calls.js';

guardUnhandled();

/** A tool named `bad` that does what the test says. */
const badTool = (execute: () => unknown): AnyTool =>
  defineTool({ name: 'bad', description: 'misbehaves', parameters: z.unknown(), execute });

/** Runs `[good 0, bad, good 2]` under joinAll with `tool` as the bad call's tool; returns its failure. */
const failureOf = (tool: AnyTool, args: unknown = {}): Promise<ToolFailure> => failureAmongGood({ name: tool.name, arguments: args }, [tool]);

describe('class 1: a hostile thrown value fails its own call with kind error', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['an Error whose message getter throws', () => hostile.errorWithThrowingMessage(), 'HostileError'],
    ['an Error whose message and name getters throw', () => hostile.errorWithNothingReadable(), 'the tool threw an Error whose message and name could not be read'],
    ['a Proxy whose every trap throws', () => hostile.proxyThatThrows(), 'the tool threw a non-Error value: a value that could not be described'],
    ['a revoked Proxy', () => hostile.revokedProxy(), 'the tool threw a non-Error value: a value that could not be described'],
    ['an object whose toString, Symbol.toPrimitive and prototype lookups throw', () => hostile.unprintable(), 'the tool threw a non-Error value: [object Object]'],
    ['a plain object (shown as its JSON)', () => ({ code: 42 }), 'the tool threw a non-Error value: {"code":42}'],
  ];
  describe.each(['throws', 'rejects with'])('a tool that %s', (how) => {
    it.each(cases)('%s', async (_label, make, message) => {
      const value = make();
      const failure = await failureOf(badTool(() => (how === 'throws' ? (() => { throw value; })() : Promise.reject(value))));
      expect([failure.kind, failure.message]).toEqual(['error', message]);
      expect(failure.error).toBe(value);
    });
  });

  it('a result whose JSON check throws a hostile value fails with invalidResult, described safely', async () => {
    const failure = await failureOf(badTool(() => ({ get x(): never { throw hostile.proxyThatThrows(); } })));
    expect([failure.kind, failure.message]).toEqual([
      'invalidResult',
      "the tool's result is not JSON: reading it threw: a non-Error value: a value that could not be described",
    ]);
  });
});

describe('class 2: a result JSON would change fails with invalidResult naming the type and the path', () => {
  class Money {
    amount = 5;
    currency = 'EUR';
  }
  const deepToJSON = (): unknown => ({ child: { toJSON: deepToJSON } });
  const cases: Array<[string, () => unknown, string]> = [
    ['a Map with entries', () => ({ items: new Map([['a', 1]]) }), '$.items is a Map'],
    ['an empty Map (the type, not the contents, decides)', () => new Map(), '$ is a Map'],
    ['a Set inside an array', () => ({ list: [1, new Set([2])] }), '$.list[1] is a Set'],
    ['a WeakMap', () => ({ cache: new WeakMap() }), '$.cache is a WeakMap'],
    ['a WeakSet', () => new WeakSet(), '$ is a WeakSet'],
    ['a Uint8Array', () => ({ bytes: new Uint8Array([1, 2]) }), '$.bytes is a Uint8Array'],
    ['a Float64Array', () => new Float64Array(2), '$ is a Float64Array'],
    ['an ArrayBuffer', () => ({ buffer: new ArrayBuffer(4) }), '$.buffer is an ArrayBuffer'],
    ['a DataView', () => new DataView(new ArrayBuffer(2)), '$ is a DataView'],
    ['a Promise inside a result', () => ({ later: Promise.resolve(1) }), '$.later is a Promise'],
    ['a RegExp', () => ({ pattern: /a+/ }), '$.pattern is a RegExp'],
    ['an Error (JSON drops its message)', () => ({ error: new Error('lost') }), '$.error is an Error'],
    ['a key that is not an identifier', () => ({ 'a b': new Map() }), '$["a b"] is a Map'],
    ['a Map whose toJSON returns itself', () => Object.assign(new Map([['a', 1]]), { toJSON() { return this; } }), '$ is a Map'],
    ['a toJSON that returns its own ancestor', () => { const root: Record<string, unknown> = {}; root.child = { toJSON: () => root }; return root; }, '$.child is a cycle'],
    [
      'a toJSON that keeps returning new objects',
      deepToJSON,
      `$.child.child.child.child.child.child….child.child.child.child.child is nested more than ${maxResultDepth} levels deep`,
    ],
  ];
  it.each(cases)('%s', async (_label, make, problem) => {
    const failure = await failureOf(badTool(make));
    expect([failure.kind, failure.message]).toEqual(['invalidResult', `the tool's result is not JSON: ${problem}`]);
  });

  const faithful: Array<[string, () => unknown, unknown]> = [
    ['a class instance: its own fields are its JSON', () => new Money(), { amount: 5, currency: 'EUR' }],
    ['an object without a prototype', () => Object.assign(Object.create(null) as object, { a: 1 }), { a: 1 }],
    ['a Date, through its toJSON', () => ({ at: new Date(0) }), { at: '1970-01-01T00:00:00.000Z' }],
    ['a Node Buffer, through its toJSON', () => Buffer.from('hi'), { type: 'Buffer', data: [104, 105] }],
    ['a toJSON that returns this: the object\'s own fields', () => ({ a: 1, toJSON() { return this; } }), { a: 1 }],
    ['a boxed string', () => ({ s: new String('x') }), { s: 'x' }],
  ];
  it.each(faithful)('accepts %s, as JSON.stringify writes it', async (_label, make, json) => {
    const bad = badTool(make);
    const [, output] = await runToolBatch([good(0), { id: 'ok', name: 'bad', arguments: {} }], { tools: [echo, bad] });
    expect(JSON.parse(JSON.stringify(output!.result))).toEqual(json);
  });
});

describe('class 3: async schemas', () => {
  it('an async refinement: the valid call runs, the invalid one fails with invalidArguments and its message', async () => {
    const checked = defineTool({
      name: 'checked',
      description: 'refined asynchronously',
      parameters: z.object({ text: z.string() }).refine(async (v) => v.text !== 'bad', 'text must not be bad'),
      execute: ({ text }) => `ok:${text}`,
    });
    const failure = await failureOf(checked, { text: 'bad' });
    expect([failure.kind, failure.message]).toEqual(['invalidArguments', 'Invalid arguments for "checked": ✖ text must not be bad']);
    expect(await runToolBatch([{ id: 'a', name: 'checked', arguments: { text: 'fine' } }], { tools: [checked] })).toEqual([{ id: 'a', result: 'ok:fine' }]);
  });

  it('an async transform: execute gets what it resolves to', async () => {
    const doubled = defineTool({
      name: 'doubled',
      description: 'transformed asynchronously',
      parameters: z.object({ n: z.number() }).transform(async ({ n }) => n * 2),
      execute: (n) => n + 1,
    });
    expect(await runToolBatch([good(0), { id: 'a', name: 'doubled', arguments: { n: 5 } }], { tools: [echo, doubled] })).toEqual([
      goodOutput(0),
      { id: 'a', result: 11 },
    ]);
  });

  it('a transform that throws: invalidArguments with its message, not error', async () => {
    const throwing = defineTool({
      name: 'throwing',
      description: 'its transform throws',
      parameters: z.object({}).transform(() => {
        throw new Error('transform boom');
      }),
      execute: () => 'unreachable',
    });
    const failure = await failureOf(throwing);
    expect([failure.kind, failure.message]).toEqual(['invalidArguments', 'Invalid arguments for "throwing": the schema threw: transform boom']);
  });

  it('a synchronous schema stays synchronous: parsed without a promise, the tool started before runToolBatch returns', async () => {
    const schema = z.object({ text: z.string() });
    expect(compileParameters('echo', schema).parse({ text: 'a' })).toEqual({ ok: true, data: { text: 'a' } });
    starts.count = 0;
    const batch = runToolBatch([good(0)], { tools: [echo] });
    expect(starts.count).toBe(1);
    expect(await batch).toEqual([goodOutput(0)]);
  });
});

describe('class 4: every option is checked before anything starts', () => {
  const noisy = controlledTool('noisy');
  const rejectsBeforeStart = async (options: Record<string, unknown>, message: string): Promise<void> => {
    starts.count = 0;
    await expect(runToolBatch([good(0)], { tools: [echo], ...options } as RunToolBatchOptions)).rejects.toThrow(new TypeError(message));
    await flush();
    expect(starts.count).toBe(0);
  };
  const options: Array<[string, Record<string, unknown>, string]> = [
    ['a misspelt key', { concurency: 2 }, 'Unknown option `concurency`; did you mean `concurrency`?'],
    ['a key in the wrong case', { onevent: () => {} }, 'Unknown option `onevent`; did you mean `onEvent`?'],
    ['a key like no other', { colour: 'red' }, `Unknown option \`colour\`; the options are ${runToolBatchOptionKeys.map((k) => `\`${k}\``).join(', ')}`],
    ['onEvent that is not a function', { onEvent: 'log' }, 'Expected `onEvent` to be a function, got `"log"` (string)'],
    ['signal that is not an AbortSignal', { signal: { aborted: false } }, 'Expected `signal` to be an AbortSignal, got `an object` (object)'],
    ['clock that is not a clock', { clock: 5 }, 'Expected `clock` to be an object with `setTimeout`, `clearTimeout` and `now` methods (such as `SimulatedClock`), got `5` (number)'],
    ['inspect that is not an observer', { inspect: true }, 'Expected `inspect` to be a function or an observer `{ next, error?, complete? }`, got `true` (boolean)'],
    ['runId that is empty', { runId: '' }, 'Expected `runId` to be 1–200 letters, digits, ".", "_", ":" or "-", starting with a letter or digit, got `""` (string)'],
    ['router beside tools', { router: createToolRouter([echo]) }, 'Expected either `tools` or `router`, got both'],
  ];
  it.each(options)('runToolBatch: %s', (_label, extra, message) => rejectsBeforeStart(extra, message));

  it('runToolBatch: a router that is not a router', async () => {
    await expect(runToolBatch([good(0)], { router: {} } as RunToolBatchOptions)).rejects.toThrow(
      new TypeError('Expected `router` to be a ToolRouter (from `createToolRouter`), got `an object` (object)'),
    );
  });

  it('runToolBatch: options that are an array', async () => {
    await expect(runToolBatch([good(0)], [] as unknown as RunToolBatchOptions)).rejects.toThrow(
      new TypeError('Expected `options` to be an object with `tools`, got `an array` (array)'),
    );
  });

  it('runToolBatch: the options being added in parallel (store, approve, retry) are not reported unknown', async () => {
    const options = { tools: [echo], store: undefined, approve: undefined, retry: undefined } as RunToolBatchOptions;
    expect(await runToolBatch([good(0)], options)).toEqual([goodOutput(0)]);
  });

  it('the batch machine: an unknown key in its options puts it in error before any child starts', () => {
    const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([noisy.tool]).runTool } });
    const actor = createActor(machine, { input: { calls: [{ id: 'a', name: 'noisy', arguments: {} }], options: { concurency: 2 } as never } });
    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('error');
    expect(snapshot.error).toEqual(new TypeError('Unknown option `concurency`; did you mean `concurrency`?'));
    expect(noisy.started).toEqual([]);
  });

  it('withParallelTools: checks every option when it wraps the step, before any step runs', () => {
    let ran = 0;
    const step = async () => {
      ran++;
      return { type: 'done' as const, messages: [] };
    };
    expect(() => withParallelTools(step, { tools: [echo], concurency: 2 } as RunToolBatchOptions)).toThrow(
      new TypeError('Unknown option `concurency`; did you mean `concurrency`?'),
    );
    expect(() => withParallelTools(step, { tools: [echo], signal: 'stop' } as unknown as RunToolBatchOptions)).toThrow(
      new TypeError('Expected `signal` to be an AbortSignal, got `"stop"` (string)'),
    );
    expect(parallelToolsOptionKeys).toBe(runToolBatchOptionKeys);
    expect(ran).toBe(0);
  });

  describe('runAgent: rejects with a TypeError before the model is called', () => {
    const agentCases: Array<[string, Record<string, unknown>, string]> = [
      ['a misspelt key', { maxStep: 3 }, 'Unknown option `maxStep`; did you mean `maxSteps`?'],
      ['onEvent that is not a function', { onEvent: {} }, 'Expected `onEvent` to be a function, got `an object` (object)'],
      ['signal that is not an AbortSignal', { signal: true }, 'Expected `signal` to be an AbortSignal, got `true` (boolean)'],
      ['router beside tools', { router: createToolRouter([echo]) }, 'Expected either `tools` or `router`, got both'],
      ['an unknown batch option value', { policy: 'sometimes' }, "Expected `policy` to be one of 'joinAll', 'failFast', 'settleAll', got `\"sometimes\"` (string)"],
    ];
    it.each(agentCases)('%s', async (_label, extra, message) => {
      let calls = 0;
      const model = { name: 'counted', complete: async () => ((calls++, { message: { role: 'assistant' as const, content: 'hi' } })) };
      await expect(runAgent({ model, tools: [echo], messages: [], ...extra } as RunAgentOptions)).rejects.toThrow(new TypeError(message));
      expect(calls).toBe(0);
    });

    it('accepts the options being added in parallel (store, runId, approve, runner, retry) as known keys', () => {
      for (const key of ['store', 'runId', 'approve', 'runner', 'retry']) expect(runAgentOptionKeys).toContain(key);
      for (const key of ['store', 'approve', 'retry', 'runner', 'runId']) expect(runToolBatchOptionKeys).toContain(key);
    });
  });

  it('the batch machine input: assertToolBatchInput checks every field and key', () => {
    expect(() => assertToolBatchInput({ calls: [], notify: true })).toThrow(
      new TypeError("Unknown option `notify` in the batch machine's input; did you mean `notifyParent`?"),
    );
    expect(() => assertToolBatchInput({ calls: [], notifyParent: 'yes' })).toThrow(
      new TypeError('Expected `notifyParent` to be a boolean, got `"yes"` (string)'),
    );
    expect(() => assertToolBatchInput({ calls: [], runId: 3 })).toThrow(new TypeError('Expected `runId` to be a non-empty string, got `3` (number)'));
    expect(() => assertToolBatchInput({ calls: [good(0)], options: { concurrency: 2 }, notifyParent: true, runId: 'r1' })).not.toThrow();
  });

  it('defineTool: an unknown key names the tool and the closest key', () => {
    expect(() => defineTool({ name: 'slow', description: '', parameters: z.object({}), execute: () => 1, timeout: 5 } as never)).toThrow(
      new TypeError('Unknown option `timeout` of tool "slow"; did you mean `timeoutMs`?'),
    );
  });

  describe('on abort, the rejection is exactly signal.reason, whatever it is', () => {
    const reasons: Array<[string, unknown]> = [['null', null], ['0', 0], ['a string', 'stop'], ['an object', { why: 'user' }]];
    it.each(reasons)('%s, aborted before the start', async (_label, reason) => {
      await expect(runToolBatch([good(0)], { tools: [echo], signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });
    it.each(reasons)('%s, aborted while calls run', async (_label, reason) => {
      const ctl = controlledTool();
      const controller = new AbortController();
      const batch = runToolBatch([{ id: 'a', name: 'ctl', arguments: {} }], { tools: [ctl.tool], signal: controller.signal });
      await flush();
      controller.abort(reason);
      await expect(batch).rejects.toBe(reason);
      expect(ctl.signal('a').aborted).toBe(true);
    });
  });
});

describe('class 5: a tool cannot corrupt what the batch reports', () => {
  it('a tool that sets ctx.call.id does not change the output id, and the caller\'s call is untouched', async () => {
    const calls: ToolCall[] = [good(0), { id: 'mine', name: 'sneaky', arguments: {} }];
    const seen: boolean[] = [];
    const sneaky = defineTool({
      name: 'sneaky',
      description: 'tries to rename its call',
      parameters: z.unknown(),
      execute: (_args, { call }) => {
        seen.push(Object.isFrozen(call));
        try {
          (call as { id: string }).id = 'hijacked';
        } catch {
          // Frozen: the assignment throws in strict mode.
        }
        return call.id;
      },
    });
    expect(await runToolBatch(calls, { tools: [echo, sneaky] })).toEqual([goodOutput(0), { id: 'mine', result: 'mine' }]);
    expect(seen).toEqual([true]);
    expect(calls[1]).toEqual({ id: 'mine', name: 'sneaky', arguments: {} });
  });
});

describe('class 7: one AbortSignal shared by 50 concurrent batches', () => {
  afterEach(() => vi.restoreAllMocks());

  it('holds one abort listener while they run, none after, and prints no MaxListenersExceededWarning', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const ctl = controlledTool();
    const controller = new AbortController();
    const batches = Array.from({ length: 50 }, (_, i) =>
      runToolBatch([{ id: `b${i}`, name: 'ctl', arguments: {} }], { tools: [ctl.tool], signal: controller.signal }),
    );
    await flush();
    expect(ctl.running).toHaveLength(50);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (let i = 0; i < 50; i++) ctl.resolve(`b${i}`, i);
    expect(await Promise.all(batches)).toEqual(Array.from({ length: 50 }, (_, i) => [{ id: `b${i}`, result: i }]));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await flush();
    expect(warn).not.toHaveBeenCalled();
  });

  it('aborting it cancels every batch with its reason and leaves no listener', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const ctl = controlledTool();
    const controller = new AbortController();
    const batches = Array.from({ length: 50 }, (_, i) =>
      runToolBatch([{ id: `b${i}`, name: 'ctl', arguments: {} }], { tools: [ctl.tool], signal: controller.signal }).catch((e: unknown) => e),
    );
    await flush();
    ctl.resolve('b7', 'done early');
    await flush();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('request closed');
    controller.abort(reason);
    const settled = await Promise.all(batches);
    expect(settled[7]).toEqual([{ id: 'b7', result: 'done early' }]);
    expect(settled.filter((value) => value === reason)).toHaveLength(49);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await flush();
    expect(warn).not.toHaveBeenCalled();
  });
});
