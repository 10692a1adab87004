/**
 * A reference model of a batch on a timer clock, written from the design, not
 * from the machine: FIFO admission under N (skipping calls whose tool is at its
 * per-tool limit), each call settling at the earlier
 * of its latency and the timeout, and the policy deciding when the batch ends.
 *
 * Ties at one instant go the way fake timers order them: by creation. A
 * cancel timer made before the batch comes first; then, per call in
 * admission order, its timeout (scheduled when its actor starts) before its
 * tool timer (set when the tool runs). Choose latencies and timeouts that
 * never tie within one call (even latencies, odd timeouts).
 */
import type { JoinPolicy } from '../../src/core/schemas.js';

export interface SimulationPlan {
  /** Per call: how long the tool takes, in ms. */
  latency: number[];
  /** Per call: whether the tool rejects (after its latency) instead of resolving. */
  fails: boolean[];
  concurrency: number;
  policy: JoinPolicy;
  timeoutMs?: number | undefined;
  /** When the abort signal fires, if it does. */
  cancelAt?: number | undefined;
  /** Per call: its tool's name, for per-tool limits. Default: one tool for all. */
  tools?: string[];
  perToolConcurrency?: Record<string, number>;
}

export type SimulatedOutcome = 'queued' | 'ok' | 'error' | 'timeout' | 'aborted';

export interface Simulation {
  /** `succeeded`, `failed` or `cancelled`. */
  status: 'succeeded' | 'failed' | 'cancelled';
  /** When the batch ended: the makespan. */
  endedAt: number;
  outcome: SimulatedOutcome[];
  startedAt: Array<number | undefined>;
  settledAt: Array<number | undefined>;
  /** Indices in admission order. */
  admitted: number[];
  /** Most calls running at once, per tool name. */
  peakPerTool: Record<string, number>;
  /** The first failure in time, if any. */
  firstFailure: number | undefined;
  peak: number;
}

interface Pending {
  at: number;
  seq: number;
  index: number;
  kind: 'ok' | 'error' | 'timeout' | 'cancel';
}

export function simulateBatch(plan: SimulationPlan): Simulation {
  const count = plan.latency.length;
  const outcome: SimulatedOutcome[] = new Array(count).fill('queued');
  const startedAt: Array<number | undefined> = new Array(count).fill(undefined);
  const settledAt: Array<number | undefined> = new Array(count).fill(undefined);
  const admitted: number[] = [];
  const running = new Set<number>();
  const pending: Pending[] = [];
  let settled = 0;
  let failures = 0;
  let firstFailure: number | undefined;
  let peak = 0;
  let ended: { status: Simulation['status']; at: number } | undefined;

  const toolOf = (index: number) => plan.tools?.[index] ?? '';
  const runningPerTool = new Map<string, number>();
  const peakPerTool: Record<string, number> = {};
  const isAdmitted = new Array<boolean>(count).fill(false);
  /** The lowest waiting index whose tool is under its limit: FIFO, skipping limited tools. */
  const nextAdmissible = (): number | undefined => {
    for (let index = 0; index < count; index++) {
      if (isAdmitted[index]) continue;
      const limit = plan.perToolConcurrency?.[toolOf(index)] ?? Infinity;
      if ((runningPerTool.get(toolOf(index)) ?? 0) < limit) return index;
    }
    return undefined;
  };
  const admit = (at: number) => {
    for (let index = nextAdmissible(); running.size < plan.concurrency && index !== undefined; index = nextAdmissible()) {
      // Timers are created in admission order.
      const seq = 2 * admitted.length;
      admitted.push(index);
      isAdmitted[index] = true;
      running.add(index);
      const tool = toolOf(index);
      runningPerTool.set(tool, (runningPerTool.get(tool) ?? 0) + 1);
      peakPerTool[tool] = Math.max(peakPerTool[tool] ?? 0, runningPerTool.get(tool)!);
      peak = Math.max(peak, running.size);
      startedAt[index] = at;
      const latency = plan.latency[index]!;
      if (plan.timeoutMs !== undefined && plan.timeoutMs < latency) {
        pending.push({ at: at + plan.timeoutMs, seq, index, kind: 'timeout' });
      } else {
        pending.push({ at: at + latency, seq: seq + 1, index, kind: plan.fails[index] ? 'error' : 'ok' });
      }
    }
  };
  const abortRunning = (at: number) => {
    for (const index of [...running].sort((a, b) => a - b)) {
      outcome[index] = 'aborted';
      settledAt[index] = at;
    }
    running.clear();
  };

  if (plan.cancelAt !== undefined) pending.push({ at: plan.cancelAt, seq: -1, index: -1, kind: 'cancel' });
  if (count === 0) ended = { status: 'succeeded', at: 0 };
  else admit(0);
  while (ended === undefined) {
    pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = pending.shift()!;
    if (next.kind === 'cancel') {
      abortRunning(next.at);
      ended = { status: 'cancelled', at: next.at };
      break;
    }
    running.delete(next.index);
    runningPerTool.set(toolOf(next.index), runningPerTool.get(toolOf(next.index))! - 1);
    outcome[next.index] = next.kind;
    settledAt[next.index] = next.at;
    settled++;
    if (next.kind !== 'ok') {
      failures++;
      firstFailure ??= next.index;
      if (plan.policy === 'failFast') {
        abortRunning(next.at);
        ended = { status: 'failed', at: next.at };
        break;
      }
    }
    admit(next.at);
    if (settled === count) {
      ended = { status: plan.policy === 'joinAll' && failures > 0 ? 'failed' : 'succeeded', at: next.at };
    }
  }
  return { status: ended.status, endedAt: ended.at, outcome, startedAt, settledAt, admitted, peakPerTool, firstFailure, peak };
}
