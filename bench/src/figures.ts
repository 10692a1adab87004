/**
 * The four measurements, each run inside one child process for one system.
 */
import type { FailFastRun, MakespanResult, MemoryResult, OverheadPoint, SkippedK } from '../protocol.js';
import { failFastBody, noopBody, sleepBody, type Job, type Outcome, type System, type ToolBody } from './job.js';

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Throws unless every call resolved with its own index, in input order. */
function assertInOrder(outcome: Outcome, k: number): void {
  const { values } = outcome;
  if (outcome.rejected || values === undefined) throw new Error(`the run rejected`);
  if (values.length !== k) throw new Error(`expected ${k} results, got ${values.length}`);
  for (let i = 0; i < k; i++) {
    if (values[i] !== i) throw new Error(`expected result ${i} at index ${i}, got ${String(values[i])}`);
  }
}

async function prepare(system: System, job: Job) {
  return system.prepare(job);
}

/**
 * µs per call with a no-op tool, for each K: a warm-up, then the median of
 * `runs` timed runs (more for small K). Stops before a K that would not fit
 * in what is left of `budgetSeconds`.
 */
export async function overhead(
  system: System,
  ks: number[],
  concurrency: number,
  runs: number,
  warmEachK: boolean,
  budgetSeconds: number,
): Promise<{ points: OverheadPoint[]; skipped: SkippedK[] }> {
  const started = performance.now();
  const warm = await prepare(system, { k: 1_000, concurrency, body: noopBody });
  for (let r = 0; r < 3; r++) assertInOrder(await warm.run(), 1_000);
  const points: OverheadPoint[] = [];
  const skipped: SkippedK[] = [];
  for (const k of ks) {
    // Small batches are over in microseconds: take more runs there, the median is what counts.
    // No GC between runs: a forced full GC makes the next short run pay for re-growing the young generation,
    // and the garbage a batch leaves is part of its cost.
    const count = Math.max(runs, Math.min(200, Math.ceil(10_000 / k)));
    const warmUp = warmEachK && k <= 10_000;
    const [last, before] = [points.at(-1), points.at(-2)];
    if (skipped.length > 0 || last !== undefined) {
      const growth = last && before ? Math.max(1, last.median / before.median) : 1;
      const estimateSeconds = last ? (last.median * growth * k * (count + (warmUp ? 1 : 0))) / 1e6 : Infinity;
      const leftSeconds = budgetSeconds - (performance.now() - started) / 1000;
      if (skipped.length > 0 || estimateSeconds > leftSeconds) {
        skipped.push({ k, estimateSeconds, leftSeconds });
        continue;
      }
    }
    const prepared = await prepare(system, { k, concurrency, body: noopBody });
    if (warmUp) assertInOrder(await prepared.run(), k);
    const perCall: number[] = [];
    for (let r = 0; r < count; r++) {
      const outcome = await prepared.run();
      assertInOrder(outcome, k);
      perCall.push((outcome.ms * 1000) / k);
    }
    points.push({ k, median: median(perCall), runs: count > runs ? [] : perCall });
  }
  return { points, skipped };
}

/** K calls of a `toolMs` tool (real timers) under the limit; ideal = ⌈K/N⌉·toolMs. */
export async function makespan(system: System, k: number, toolMs: number, concurrency: number, runs: number, warmUps: number): Promise<MakespanResult> {
  const prepared = await prepare(system, { k, concurrency, body: sleepBody(toolMs) });
  // Warm-up runs, untimed: one cold run measured the JIT, not the scheduling (138 ms against 80 warm).
  for (let w = 0; w < warmUps; w++) assertInOrder(await prepared.run(), k);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const outcome = await prepared.run();
    assertInOrder(outcome, k);
    times.push(outcome.ms);
  }
  const waves = concurrency === Infinity ? 1 : Math.ceil(k / concurrency);
  return { k, toolMs, idealMs: waves * toolMs, medianMs: median(times), runs: times };
}

const mb = (bytes: number): number => bytes / 2 ** 20;

/** Peak heap and RSS while running K no-op calls once, in a fresh process. */
export async function memory(system: System, k: number, concurrency: number): Promise<MemoryResult> {
  gc();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  const sample = (): void => {
    const heap = process.memoryUsage().heapUsed;
    if (heap > peakHeap) peakHeap = heap;
  };
  const body: ToolBody = async (i) => {
    if ((i & 1023) === 0) sample();
    return i;
  };
  const timer = setInterval(sample, 5);
  const prepared = await prepare(system, { k, concurrency, body });
  const outcome = await prepared.run();
  sample();
  clearInterval(timer);
  assertInOrder(outcome, k);
  return {
    k,
    baselineHeapMB: mb(baseline.heapUsed),
    baselineRssMB: mb(baseline.rss),
    peakHeapMB: mb(peakHeap),
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    ms: outcome.ms,
  };
}

/** Resolves once no call has been running for `quietMs`. */
async function untilQuiet(active: () => number, quietMs: number): Promise<void> {
  let quietSince = performance.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (active() > 0) quietSince = performance.now();
    else if (performance.now() - quietSince >= quietMs) return;
  }
}

/**
 * K calls of `okMs`, call 0 fails at `failMs`, under the limit: time until the
 * promise settles, and calls started after the failure (counted once quiet).
 */
export async function failFast(system: System, k: number, failMs: number, okMs: number, concurrency: number, runs: number): Promise<FailFastRun[]> {
  const results: FailFastRun[] = [];
  for (let r = 0; r <= runs; r++) {
    const scenario = failFastBody(failMs, okMs);
    let active = 0;
    let lastSettled = 0;
    const body: ToolBody = async (i, signal) => {
      active++;
      try {
        return await scenario.body(i, signal);
      } finally {
        active--;
        lastSettled = performance.now();
      }
    };
    const prepared = await prepare(system, { k, concurrency, body });
    const t0 = performance.now();
    const outcome = await prepared.run();
    await untilQuiet(() => active, 30);
    const failedAt = scenario.failedAt();
    // The first round only warms up.
    if (r === 0) continue;
    results.push({
      ms: outcome.ms,
      rejected: outcome.rejected,
      started: scenario.starts.length,
      startedAfter: scenario.starts.filter((t) => t > failedAt).length,
      quietMs: lastSettled - t0,
    });
  }
  return results;
}
