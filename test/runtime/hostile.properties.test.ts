/**
 * Issue 12's property: tools that throw, reject and return arbitrary values,
 * hostile ones included (throwing getters, Proxies whose every trap throws,
 * objects whose toString, Symbol.toPrimitive and prototype lookups throw,
 * Maps, Sets, typed arrays, cycles, a toJSON that returns this). Whatever they
 * do, the batch settles, every slot settles at most once (exactly once unless
 * failFast left it queued), and nothing escapes as an unhandled rejection or
 * an uncaught exception (the guard fails the test).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { ToolBatchError } from '../../src/core/errors.js';
import { joinPolicies, type SettledResult, type ToolFailure, type ToolOutput } from '../../src/core/schemas.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { defineTool } from '../../src/runtime/tools.js';
import { hostile } from '../helpers/hostile.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

/** How a value is made, and what the batch must make of it when a tool returns it. */
interface Value {
  make: () => unknown;
  /** `json`: must succeed with the same JSON; `lossy`: must fail with invalidResult naming the type; `any`: anything but a hang. */
  expect: 'json' | 'lossy' | 'any';
  tag?: string;
}

const lossy: Record<string, () => unknown> = {
  Map: () => new Map([[1, 2]]),
  Set: () => new Set([1]),
  WeakMap: () => new WeakMap(),
  Uint8Array: () => new Uint8Array([1, 2]),
  ArrayBuffer: () => new ArrayBuffer(2),
};

const valueArbitrary: fc.Arbitrary<Value> = fc.oneof(
  fc.jsonValue().map((v): Value => ({ make: () => v, expect: 'json' })),
  fc
    .anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true })
    .map((v): Value => ({ make: () => v, expect: 'any' })),
  fc.constantFrom(...(Object.keys(hostile) as Array<keyof typeof hostile>)).map((name): Value => ({ make: hostile[name], expect: 'any' })),
  fc.constantFrom(...Object.keys(lossy)).map((tag): Value => ({ make: lossy[tag]!, expect: 'lossy', tag })),
  fc.constantFrom<Value>({ make: () => undefined, expect: 'any' }, { make: () => 1n, expect: 'any' }, { make: () => Symbol('s'), expect: 'any' }),
);

type Mode = 'return' | 'throw' | 'reject' | 'resolve' | 'thenable';

interface Behaviour {
  mode: Mode;
  /** Microtask hops before an async mode settles. */
  hops: number;
  value: Value;
}

const behaviourArbitrary: fc.Arbitrary<Behaviour> = fc.record({
  mode: fc.constantFrom<Mode>('return', 'throw', 'reject', 'resolve', 'thenable'),
  hops: fc.integer({ min: 0, max: 3 }),
  value: valueArbitrary,
});

const planArbitrary = fc.record({
  behaviours: fc.array(behaviourArbitrary, { minLength: 1, maxLength: 8 }),
  concurrency: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Infinity)),
  policy: fc.constantFrom(...joinPolicies),
});

async function hop(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

function act(behaviour: Behaviour): unknown {
  const { mode, hops, value } = behaviour;
  switch (mode) {
    case 'return':
      return value.make();
    case 'throw':
      throw value.make();
    case 'reject':
      return hop(hops).then(() => Promise.reject(value.make()));
    case 'resolve':
      return hop(hops).then(() => value.make());
    case 'thenable':
      return { then: (_fulfil: unknown, reject: (reason: unknown) => void) => reject(value.make()) };
  }
}

/** Checks one slot's outcome against what its tool did. */
function checkSlot(behaviour: Behaviour, outcome: { ok: true; output: ToolOutput } | { ok: false; failure: ToolFailure }): void {
  const { mode, value } = behaviour;
  if (mode === 'throw' || mode === 'reject' || mode === 'thenable') {
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.failure.kind).toBe('error');
  } else if (value.expect === 'json') {
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(JSON.stringify(outcome.output.result)).toBe(JSON.stringify(value.make()));
  } else if (value.expect === 'lossy') {
    expect(outcome.ok ? 'ok' : [outcome.failure.kind, outcome.failure.message]).toEqual(['invalidResult', `the tool's result is not JSON: $ is a${value.tag === 'ArrayBuffer' ? 'n' : ''} ${value.tag}`]);
  } else if (outcome.ok) {
    // Whatever passed must be JSON the model can read.
    expect(typeof JSON.stringify(outcome.output.result)).toBe('string');
  } else {
    expect(['invalidResult', 'error']).toContain(outcome.failure.kind);
  }
  if (!outcome.ok) expect(typeof outcome.failure.message === 'string' && outcome.failure.message !== '').toBe(true);
}

describe('tools that throw, reject and return hostile values', () => {
  it('every batch settles, every slot settles at most once (exactly once unless failFast left it queued), nothing goes unhandled', async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async ({ behaviours, concurrency, policy }) => {
        const tool = defineTool({
          name: 'wild',
          description: 'does what the plan says',
          parameters: z.object({ i: z.number() }),
          execute: ({ i }) => act(behaviours[i]!),
        });
        const calls = behaviours.map((_, i) => ({ id: `c${i}`, name: 'wild', arguments: { i } }));
        const started = new Map<number, number>();
        const settled = new Map<number, number>();
        let batchSettled = 0;
        const onEvent = (event: ToolBatchEmitted): void => {
          if (event.type === 'call.started') started.set(event.index, (started.get(event.index) ?? 0) + 1);
          if (event.type === 'call.settled') settled.set(event.index, (settled.get(event.index) ?? 0) + 1);
          if (event.type === 'batch.settled') batchSettled++;
        };
        let outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
        void runToolBatch(calls, { tools: [tool], concurrency, policy, onEvent }).then(
          (value) => (outcome = { ok: true, value }),
          (error: unknown) => (outcome = { ok: false, error }),
        );
        // No timers anywhere: a batch that has not settled after the event loop went idle has hung.
        for (let turn = 0; turn < 20 && outcome === undefined; turn++) await new Promise((resolve) => setImmediate(resolve));
        if (outcome === undefined) expect.fail('the batch never settled');
        expect(batchSettled).toBe(1);
        for (const count of [...started.values(), ...settled.values()]) expect(count).toBe(1);
        expect([...settled.keys()].sort()).toEqual(policy === 'failFast' ? [...started.keys()].sort() : behaviours.map((_, i) => i).sort());

        if (policy === 'settleAll') {
          expect(outcome.ok).toBe(true);
          (outcome.ok ? (outcome.value as SettledResult[]) : []).forEach((result, i) => checkSlot(behaviours[i]!, result));
        } else if (outcome.ok) {
          (outcome.value as ToolOutput[]).forEach((output, i) => checkSlot(behaviours[i]!, { ok: true, output }));
        } else {
          expect(ToolBatchError.isInstance(outcome.error)).toBe(true);
          const error = outcome.error as ToolBatchError;
          for (const failure of error.failures) {
            if (failure.kind !== 'aborted') checkSlot(behaviours[failure.index]!, { ok: false, failure });
          }
          error.outputs.forEach((output, i) => {
            if (output !== undefined) checkSlot(behaviours[i]!, { ok: true, output });
          });
        }
      }),
      { numRuns: 1000 },
    );
  }, 20_000);
});
