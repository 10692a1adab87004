import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { ToolBatchError } from '../../src/core/errors.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { joinPolicies, type SettledResult, type ToolCall, type ToolOutput } from '../../src/core/schemas.js';
import { defineTool } from '../../src/runtime/tools.js';
import { callsFor } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';
import { simulateBatch, type SimulationPlan } from '../helpers/batch-simulation.js';

/** Cases per property; together at least 1,000 in the default run. */
const modelRuns = 600;
const perToolRuns = 150;
const makespanRuns = 300;

interface Plan extends SimulationPlan {
  /** Per call: whether the tool stops when its signal aborts (else it settles late). */
  honorsAbort: boolean[];
}

const abortedMessage = 'aborted before it settled: the batch ended';

const planArbitrary: fc.Arbitrary<Plan> = fc
  .record({
    count: fc.integer({ min: 0, max: 200 }),
    concurrency: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(Infinity)),
    policy: fc.constantFrom(...joinPolicies),
    // Odd timeouts and even latencies: a call never times out at the instant its tool settles.
    timeoutMs: fc.option(fc.integer({ min: 0, max: 20 }).map((t) => 2 * t + 1), { nil: undefined, freq: 2 }),
    cancelAt: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }) },
    ),
    failurePercent: fc.constantFrom(0, 5, 30),
  })
  .chain(({ count, failurePercent, ...rest }) =>
    fc.record({
      latency: fc.array(fc.integer({ min: 1, max: 20 }).map((l) => 2 * l), { minLength: count, maxLength: count }),
      fails: fc.array(fc.nat(99).map((p) => p < failurePercent), { minLength: count, maxLength: count }),
      honorsAbort: fc.array(fc.boolean(), { minLength: count, maxLength: count }),
      concurrency: fc.constant(rest.concurrency),
      policy: fc.constant(rest.policy),
      timeoutMs: fc.constant(rest.timeoutMs),
      cancelAt: fc.constant(rest.cancelAt),
    }),
  );

/** The same plans with each call on one of three tools, some of them limited per tool. */
const perToolPlanArbitrary: fc.Arbitrary<Plan> = planArbitrary.chain((plan) =>
  fc.record({
    tools: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: plan.latency.length, maxLength: plan.latency.length }),
    perToolConcurrency: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 3 }), { minKeys: 1 }),
  }).map((extra) => ({ ...plan, ...extra })),
);

const callsOf = (count: number): ToolCall[] => callsFor('work', count);

interface Observed {
  settled: { ok: true; value: ToolOutput[] | SettledResult[] } | { ok: false; error: unknown };
  /** Fake time from the call to runToolBatch until its promise settled. */
  elapsed: number;
  events: ToolBatchEmitted[];
  signals: Array<AbortSignal | undefined>;
  reason: Error;
}

/** Runs a plan through runToolBatch under fake timers and runs the clock until nothing is left. */
async function runPlan(plan: Plan): Promise<Observed> {
  const signals: Array<AbortSignal | undefined> = [];
  const makeTool = (name: string) =>
    defineTool({
      name,
      description: 'sleeps, then resolves or rejects as planned',
      parameters: z.object({ i: z.number().int() }),
      execute: ({ i }, { signal }) =>
        new Promise<string>((resolve, reject) => {
          signals[i] = signal;
          const timer = setTimeout(() => (plan.fails[i] ? reject(new Error(`e${i}`)) : resolve(`r${i}`)), plan.latency[i]);
          if (plan.honorsAbort[i]) {
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(signal.reason);
            });
          }
        }),
    });
  const names = plan.tools ?? [];
  const tools = [...new Set(['work', ...names])].map(makeTool);
  const reason = new Error('cancelled by the caller');
  const controller = new AbortController();
  if (plan.cancelAt !== undefined) setTimeout(() => controller.abort(reason), plan.cancelAt);
  const events: ToolBatchEmitted[] = [];
  const start = Date.now();
  let elapsed = -1;
  const calls = callsOf(plan.latency.length).map((call, i) => ({ ...call, name: names[i] ?? 'work' }));
  const promise = runToolBatch(calls, {
    tools,
    ...(plan.perToolConcurrency ? { perToolConcurrency: plan.perToolConcurrency } : {}),
    concurrency: plan.concurrency,
    policy: plan.policy,
    ...(plan.timeoutMs === undefined ? {} : { timeoutMs: plan.timeoutMs }),
    signal: controller.signal,
    onEvent: (event) => events.push(event),
  }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void promise.then(() => (elapsed = Date.now() - start));
  await vi.runAllTimersAsync();
  const settled = await promise;
  return { settled, elapsed, events, signals, reason };
}

const unhandled = guardUnhandled();
beforeEach(() => {
  // setImmediate stays real: runAllTimersAsync and the promise flushes need it.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(async () => {
  vi.useRealTimers();
  // Let Node report any rejection nobody handled before the guard is read.
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled).toEqual([]);
});

function failureText(index: number, kind: string, plan: Plan): [number, string, string] {
  const message = kind === 'timeout' ? `the tool did not settle within ${plan.timeoutMs} ms` : kind === 'aborted' ? abortedMessage : `e${index}`;
  return [index, kind, message];
}

/** Runs a plan and checks everything observable against the reference model. */
async function checkAgainstModel(plan: Plan): Promise<void> {
  const model = simulateBatch(plan);
  const { settled, elapsed, events, signals, reason } = await runPlan(plan);
  const count = plan.latency.length;

  // The promise: value, ToolBatchError or signal.reason, exactly as the model says.
  const outputs = model.outcome.map((o, i) => (o === 'ok' ? { id: `c${i}`, result: `r${i}` } : undefined));
  if (model.status === 'cancelled') {
    expect(settled).toEqual({ ok: false, error: reason });
    expect((settled as { error: unknown }).error).toBe(reason);
  } else if (model.status === 'succeeded' && plan.policy === 'settleAll') {
    expect(settled.ok).toBe(true);
    const results = (settled as { value: SettledResult[] }).value;
    expect(results.map((r) => (r.ok ? r.output : failureText(r.failure.index, r.failure.kind, plan)))).toEqual(
      model.outcome.map((o, i) => outputs[i] ?? failureText(i, o, plan)),
    );
  } else if (model.status === 'succeeded') {
    expect(settled).toEqual({ ok: true, value: outputs });
  } else {
    expect(settled.ok).toBe(false);
    const error = (settled as { error: ToolBatchError }).error;
    expect(ToolBatchError.isInstance(error)).toBe(true);
    expect(error.policy).toBe(plan.policy);
    expect(error.outputs).toEqual(outputs);
    const failures = error.failures.map((f) => [f.index, f.kind, f.message]);
    const failed = model.outcome.flatMap((o, i) => (o === 'error' || o === 'timeout' || o === 'aborted' ? [failureText(i, o, plan)] : []));
    if (plan.policy === 'failFast') {
      const first = model.firstFailure!;
      expect(failures).toEqual([failureText(first, model.outcome[first]!, plan), ...failed.filter(([i]) => i !== first)]);
    } else {
      // Compared by index: the order itself is pending a core fix (test/pending-joinall-failure-order.test.ts).
      expect([...failures].sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(failed);
    }
    expect(error.cause).toBe(error.failures[0]);
  }

  // Events: FIFO admission at the model's times, every started call settled once, the batch settled last.
  const started = events.flatMap((e) => (e.type === 'call.started' ? [[e.index, e.at]] : []));
  expect(started).toEqual(model.admitted.map((i) => [i, model.startedAt[i]]));
  const settledEvents = events.flatMap((e) => (e.type === 'call.settled' ? [[e.index, e.status, e.at]] : []));
  const statusOf = { ok: 'succeeded', error: 'failed', timeout: 'failed', aborted: 'aborted' } as const;
  expect([...settledEvents].sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(
    [...model.admitted].sort((a, b) => a - b).map((i) => [i, statusOf[model.outcome[i] as keyof typeof statusOf], model.settledAt[i]]),
  );
  const times = events.map((e) => e.at);
  expect(times).toEqual([...times].sort((a, b) => a - b));
  expect(events.at(-1)).toEqual({ type: 'batch.settled', status: model.status, at: model.endedAt });
  expect(events.filter((e) => e.type === 'batch.settled')).toHaveLength(1);

  // Running ≤ N at every moment, and the peak is the model's.
  let running = 0;
  let peak = 0;
  let failedYet = false;
  const runningPerTool = new Map<string, number>();
  const peakPerTool: Record<string, number> = {};
  for (const e of events) {
    if (e.type === 'call.started' || e.type === 'call.settled') {
      const tool = plan.tools?.[e.index] ?? '';
      const now = (runningPerTool.get(tool) ?? 0) + (e.type === 'call.started' ? 1 : -1);
      runningPerTool.set(tool, now);
      peakPerTool[tool] = Math.max(peakPerTool[tool] ?? 0, now);
      expect(now).toBeLessThanOrEqual(plan.perToolConcurrency?.[tool] ?? Infinity);
    }
    if (e.type === 'call.started') {
      running++;
      // failFast admits nothing after the first failure.
      if (plan.policy === 'failFast') expect(failedYet).toBe(false);
    }
    if (e.type === 'call.settled') running--;
    if (e.type === 'call.settled' && e.status === 'failed') failedYet = true;
    peak = Math.max(peak, running);
    expect(running).toBeLessThanOrEqual(plan.concurrency);
  }
  expect(peak).toBe(model.peak);
  expect(peakPerTool).toEqual(model.peakPerTool);
  if (model.status !== 'cancelled' && plan.policy !== 'failFast') {
    expect(settledEvents).toHaveLength(count);
  }

  // Signals: aborted calls see an AbortError, timed-out calls a TimeoutError, the rest nothing.
  model.outcome.forEach((o, i) => {
    const signal = signals[i];
    if (o === 'queued') return expect(signal).toBeUndefined();
    expect(signal?.aborted).toBe(o === 'aborted' || o === 'timeout');
    if (o === 'aborted') expect((signal!.reason as DOMException).name).toBe('AbortError');
    if (o === 'timeout') expect((signal!.reason as DOMException).name).toBe('TimeoutError');
  });

  // The promise settled when the batch did; no timer is left behind.
  expect(elapsed).toBe(model.endedAt);
  expect(vi.getTimerCount()).toBe(0);
  expect(unhandled).toEqual([]);
}

describe('runToolBatch properties', () => {
  it(`matches the reference model on random batches, limits, latencies, failures, timeouts and cancels (${modelRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, checkAgainstModel),
      { numRuns: modelRuns },
    );
  }, 120_000);

  it(`matches the reference model with per-tool limits: FIFO admission skips calls whose tool is at its limit (${perToolRuns} cases)`, async () => {
    await fc.assert(fc.asyncProperty(perToolPlanArbitrary, checkAgainstModel), { numRuns: perToolRuns });
  }, 120_000);

  it(`takes exactly ⌈K/N⌉·d under equal latency d, and failFast ⌈(f+1)/N⌉·d when call f fails (${makespanRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 200 }),
        fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(Infinity)),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom('joinAll' as const, 'settleAll' as const, 'failFast' as const),
        fc.option(fc.nat(199), { nil: undefined }),
        async (count, concurrency, latency, policy, failAt) => {
          const plan: Plan = {
            latency: new Array(count).fill(latency),
            // Failures take d like successes: under joinAll and settleAll they change nothing in the timing.
            fails: Array.from({ length: count }, (_, i) => (policy === 'failFast' ? i === failAt : i % 3 === 1)),
            honorsAbort: new Array(count).fill(true),
            concurrency,
            policy,
          };
          const lanes = Math.min(concurrency, count);
          const waves = count === 0 ? 0 : Math.ceil(count / lanes);
          const failFastEnd = policy === 'failFast' && failAt !== undefined && failAt < count;
          const makespan = (failFastEnd ? Math.ceil((failAt + 1) / lanes) : waves) * latency;
          const { elapsed, events } = await runPlan(plan);
          expect(elapsed).toBe(makespan);
          expect(events.at(-1)).toMatchObject({ type: 'batch.settled', at: makespan });
          // Each wave starts exactly when the previous one ends, and nothing starts after the batch ended.
          const starts = events.flatMap((e) => (e.type === 'call.started' ? [e.at] : []));
          // Under failFast, the calls before f in its wave finish first, each admitting one more.
          const startedBeforeFailure = failFastEnd ? Math.min(count, (Math.floor(failAt / lanes) + 1) * lanes + (failAt % lanes)) : count;
          expect(starts).toHaveLength(startedBeforeFailure);
          expect(starts).toEqual(starts.map((_, i) => Math.floor(i / lanes) * latency));
        },
      ),
      { numRuns: makespanRuns },
    );
  }, 120_000);
});
