/**
 * Model-based tests of the batch chart: every interleaving of completions of
 * small batches, generated with the testing kit's `getBatchPaths` (XState's
 * graph utilities on the machine as exported), every invariant checked at
 * every step with `checkBatchPath`, and every branch of the chart taken.
 */
import { describe, expect, it } from 'vitest';
import type { AnyTransitionDefinition } from 'xstate';
import { getSimplePaths } from 'xstate/graph';
import { toolBatchMachine, type ToolBatchEvent } from '../../machines/tool-batch.machine.js';
import { slotStatesOf, toolSlotChart } from '../../machines/tool-slot.machine.js';
import { joinPolicies, type BatchOptions, type JoinPolicy } from '../../src/core/schemas.js';
import { checkBatchPath, getBatchPaths, type BatchPath, type BatchPathsOptions } from '../../src/testing/batch-paths.js';
import { guardText } from '../../scripts/machine-diagram.js';

interface Configuration {
  calls: number;
  concurrency: number;
  policy: JoinPolicy;
}

const configurations: Configuration[] = joinPolicies.flatMap((policy) =>
  [1, 2, 3, 4].flatMap((calls) => [1, 2, 3].map((concurrency) => ({ calls, concurrency, policy }))),
);

/** Every subset of the ids c0 … c(n−1): which calls fail. */
function failureSets(calls: number): string[][] {
  const sets: string[][] = [];
  for (let mask = 0; mask < 1 << calls; mask++) sets.push(Array.from({ length: calls }, (_, i) => (mask & (1 << i) ? [`c${i}`] : [])).flat());
  return sets;
}

/** The chart branches a path took: for each step, the transitions its event enabled in the snapshot before. */
function branchesOf(path: BatchPath, taken: Set<AnyTransitionDefinition>): void {
  for (let i = 1; i < path.steps.length; i++) {
    const before = path.steps[i - 1]!.snapshot;
    for (const t of toolBatchMachine.getTransitionData(before, path.steps[i]!.event as ToolBatchEvent)) taken.add(t);
  }
  // An empty batch's initial step took `running`'s eventless branch to `succeeded`.
  if (path.steps[0]!.snapshot.value === 'succeeded' && path.steps.length === 1) taken.add(toolBatchMachine.root.states.running!.always![0]!);
}

interface Exploration {
  paths: number;
  violations: string[];
  endings: Set<string>;
}

/** The slot chart's edges that some generated path took, as `from→to`. */
const slotEdgesTaken = new Set<string>();

/** Every change of a slot's state along the path must be an edge of the slot chart. */
function slotViolations(path: BatchPath): string[] {
  const edges = new Set<string>();
  for (const node of Object.values(toolSlotChart.root.states)) {
    for (const transitions of node.transitions.values()) for (const t of transitions) for (const target of t.target ?? []) edges.add(`${node.key}→${target.key}`);
  }
  const found: string[] = [];
  for (let i = 1; i < path.steps.length; i++) {
    const before = slotStatesOf(path.steps[i - 1]!.snapshot.context);
    const after = slotStatesOf(path.steps[i]!.snapshot.context);
    before.forEach((state, index) => {
      // One step may take two edges: an approved or retry-due call is admitted at once (→ queued → running).
      const step = `${state}→${after[index]}`;
      const via = ['queued', 'running'].find((via) => edges.has(`${state}→${via}`) && edges.has(`${via}→${after[index]}`));
      if (state === after[index]) return;
      if (edges.has(step)) slotEdgesTaken.add(step);
      else if (via !== undefined) slotEdgesTaken.add(`${state}→${via}`).add(`${via}→${after[index]}`);
      else found.push(`step ${i}: slot ${index} went ${step}, not an edge of toolSlotChart`);
    });
  }
  return found;
}

function explore(options: BatchPathsOptions, taken: Set<AnyTransitionDefinition>): Exploration {
  const paths = getBatchPaths(options);
  const violations = paths.flatMap((path) => [...checkBatchPath(path, options), ...slotViolations(path)]);
  paths.forEach((path) => branchesOf(path, taken));
  return { paths: paths.length, violations, endings: new Set(paths.map((p) => p.output.status)) };
}

describe('toolBatchMachine paths', () => {
  const taken = new Set<AnyTransitionDefinition>();
  let totalPaths = 0;

  describe.each(joinPolicies)('%s', (policy) => {
    it.each(configurations.filter((c) => c.policy === policy))(
      'keeps every invariant at every step of every interleaving and failure set: $calls calls, N=$concurrency',
      ({ calls, concurrency }) => {
        const options: BatchOptions = { concurrency, policy };
        let paths = 0;
        const violations: string[] = [];
        for (const fail of failureSets(calls)) {
          const found = explore({ calls, options, fail }, taken);
          paths += found.paths;
          violations.push(...found.violations);
        }
        // Approvals (one approved, one denied) and a retry, on the same configurations.
        if (calls >= 2 && calls <= 3) {
          const waiting = explore({ calls, options, approve: ['c0'], deny: [`c${calls - 1}`], retry: calls >= 3 ? ['c1'] : [] }, taken);
          paths += waiting.paths;
          violations.push(...waiting.violations);
        }
        // Streaming tools: a partial before a success, a failure, a retry and an approval, on the same configurations.
        if (calls >= 2 && calls <= 3) {
          const streams: BatchPathsOptions = calls === 2 ? { calls, options, partial: ['c0', 'c1'], fail: ['c1'], retry: ['c0'] } : { calls, options, partial: ['c1'], approve: ['c1'], fail: ['c2'] };
          const streaming = explore(streams, taken);
          paths += streaming.paths;
          violations.push(...streaming.violations);
          // A call cancelled while it streams.
          const cancelledStream = explore({ calls, options, partial: [`c${calls - 1}`], cancelOne: [`c${calls - 1}`] }, taken);
          paths += cancelledStream.paths;
          violations.push(...cancelledStream.violations);
        }
        // call.cancel of one call at every step: the last call (queued while N < calls), and on 2 calls
        // also a retried call (c0) and an approval-waiting call (c1), in every state each passes through.
        if (calls <= 3) {
          const one = explore({ calls, options, cancelOne: [`c${calls - 1}`], fail: calls === 3 ? ['c1'] : [] }, taken);
          const waiting = calls === 2 ? explore({ calls, options, approve: ['c1'], retry: ['c0'], cancelOne: ['c0', 'c1'] }, taken) : { paths: 0, violations: [], endings: new Set<string>() };
          paths += one.paths + waiting.paths;
          violations.push(...one.violations, ...waiting.violations);
          // A cancelled call has no output: only settleAll can succeed with one.
          expect(one.endings.has(policy === 'settleAll' ? 'succeeded' : 'failed')).toBe(true);
        }
        const cancelled = explore(
          { calls, options, cancel: true, ...(calls === 2 || calls === 3 ? { approve: ['c1'], retry: ['c0'] } : {}), ...(calls === 2 ? { partial: ['c0'] } : {}) },
          taken,
        );
        violations.push(...cancelled.violations);
        expect(cancelled.endings.has('cancelled')).toBe(true);
        totalPaths += paths + cancelled.paths;
        expect(violations.slice(0, 5)).toEqual([]);
        expect(paths).toBeGreaterThan(0);
      },
    );
  });

  it('counts the interleavings exactly: K=3 all succeed gives 3! paths at N=3, 4 at N=2, 1 at N=1', () => {
    const count = (concurrency: number) => getBatchPaths({ calls: 3, options: { concurrency, policy: 'joinAll' } }).length;
    expect([count(3), count(2), count(1)]).toEqual([6, 4, 1]);
  });

  it('ends failFast at the first failure, and joinAll only after every call settled', () => {
    const failFast = getBatchPaths({ calls: 4, options: { concurrency: 2, policy: 'failFast' }, fail: ['c1'] });
    // c1 runs from the start, so some path ends on the very first completion.
    expect(Math.min(...failFast.map((p) => p.steps.length - 1))).toBe(1);
    const joinAll = getBatchPaths({ calls: 4, options: { concurrency: 2, policy: 'joinAll' }, fail: ['c1'] });
    expect(new Set(joinAll.map((p) => p.steps.length - 1))).toEqual(new Set([4]));
  });

  it('explores call.cancel of a call at every step: 3 calls at N=1 give the 3 orders, with c1 cancelled queued or running', () => {
    const paths = getBatchPaths({ calls: 3, options: { concurrency: 1, policy: 'failFast' }, cancelOne: ['c1'] });
    const orders = paths.map((p) => [p.steps.slice(1).map((s) => (s.event.type === 'call.cancel' ? 'x' : (s.event as { index: number }).index)).join(''), p.output.status]);
    expect(orders).toEqual([
      ['012', 'succeeded'],
      ['0x2', 'failed'],
      ['x02', 'failed'],
    ]);
  });

  it('cancels a call in each of its slot states on some path: queued, running, backing off, awaiting an approval', () => {
    const paths = getBatchPaths({ calls: 2, options: { concurrency: 1, policy: 'joinAll' }, approve: ['c1'], retry: ['c0'], cancelOne: ['c0', 'c1'] });
    const cancelledFrom = new Set<string>();
    for (const path of paths) {
      path.steps.forEach(({ event }, i) => {
        if (event.type !== 'call.cancel') return;
        const index = Number(event.id.slice(1));
        cancelledFrom.add(`${event.id} ${slotStatesOf(path.steps[i - 1]!.snapshot.context)[index]}`);
      });
    }
    expect([paths.length, [...cancelledFrom].sort()]).toEqual([69, ['c0 queued', 'c0 retrying', 'c0 running', 'c1 awaitingApproval', 'c1 queued', 'c1 running']]);
  });

  it('respects per-tool limits on every interleaving', () => {
    const calls = ['a', 'b', 'a', 'b', 'a'].map((name, i) => ({ id: `c${i}`, name, arguments: {} }));
    const options: BatchOptions = { concurrency: 3, perToolConcurrency: { a: 1 } };
    const paths = getBatchPaths({ calls, options });
    expect(paths.length).toBeGreaterThan(1);
    expect(paths.flatMap((path) => checkBatchPath(path, { calls, options }))).toEqual([]);
  });

  it('runs getSimplePaths on the machine as exported and finds every interleaving', () => {
    const calls = [0, 1, 2].map((i) => ({ id: `c${i}`, name: 'tool', arguments: {} }));
    const paths = getSimplePaths(toolBatchMachine, {
      input: { calls, options: { concurrency: 3 } },
      events: (snapshot): ToolBatchEvent[] =>
        snapshot.context.lanes.flatMap((index) => (index === null ? [] : [{ type: 'call.succeeded' as const, index, output: { id: `c${index}`, result: index } }])),
    });
    const orders = paths.filter((p) => p.state.status === 'done').map((p) => p.steps.slice(1).map((s) => (s.event as { index: number }).index).join(''));
    expect(orders.sort()).toEqual(['012', '021', '102', '120', '201', '210']);
  });

  it('takes every on/always branch of the batch chart, by guard, on some generated path', () => {
    const empty = getBatchPaths({ calls: 0 });
    expect(empty.map((p) => p.output)).toEqual([{ status: 'succeeded', outputs: [] }]);
    empty.forEach((path) => branchesOf(path, taken));
    // A running call's progress report: forwarded while it runs (it changes no state, so paths never repeat it).
    const [running] = getBatchPaths({ calls: 1 })[0]!.steps;
    for (const t of toolBatchMachine.getTransitionData(running!.snapshot, { type: 'call.progress', index: 0, progress: 1 })) taken.add(t);
    // A streaming call's second partial is forwarded by a branch of its own (it changes no state, so paths never repeat it).
    const streamed = getBatchPaths({ calls: 1, partial: ['c0'] }).find((path) => path.steps[1]!.event.type === 'call.partial')!;
    const [further] = toolBatchMachine.getTransitionData(streamed.steps[1]!.snapshot, { type: 'call.partial', index: 0, value: 'p0 again' });
    expect(further!.actions).toEqual(['announceStep']);
    taken.add(further!);
    // A restored batch's approval gate reminds it of a call that still waits; a reminder for any other call is ignored.
    const asking = getBatchPaths({ calls: 1, approve: ['c0'] })[0]!;
    const [, waiting] = asking.steps;
    expect(waiting!.snapshot.context.awaiting).toEqual([0]);
    const [remind] = toolBatchMachine.getTransitionData(waiting!.snapshot, { type: 'call.awaitingApproval', index: 0, arguments: { i: 0 } });
    taken.add(remind!);
    expect(toolBatchMachine.getTransitionData(running!.snapshot, { type: 'call.awaitingApproval', index: 0, arguments: {} })).toEqual([]);
    // A provided runTool that ends by itself without reporting (done or error): its call fails, by one branch each.
    for (const type of ['xstate.done.actor.0', 'xstate.error.actor.0']) {
      const [silent] = toolBatchMachine.getTransitionData(running!.snapshot, { type, actorId: '0' } as never);
      expect(silent!.actions.map((action) => (action as { type?: string }).type ?? action)).toEqual(['failSilentCall']);
      taken.add(silent!);
      // A retry timer's end, or an unknown child's, is no call's.
      expect(toolBatchMachine.getTransitionData(running!.snapshot, { type: type.replace('.0', '.retry:0'), actorId: 'retry:0' } as never)).toEqual([]);
    }
    // A late report from a call that already settled (a tool that ignored its abort, say) is ignored by one branch.
    const [, afterFirst] = getBatchPaths({ calls: 2, options: { concurrency: 2, policy: 'joinAll' } })[0]!.steps;
    const settledIndex = afterFirst!.snapshot.context.lanes.indexOf(null) === 0 ? 0 : 1;
    const late = [
      { type: 'call.succeeded' as const, index: settledIndex, output: { id: 'late', result: 0 } },
      { type: 'call.failed' as const, index: settledIndex, failure: { index: settledIndex, id: 'late', name: 'tool', kind: 'error' as const, message: 'late', error: undefined } },
      { type: 'call.partial' as const, index: settledIndex, value: 'late' },
    ];
    for (const event of late) {
      const [ignore] = toolBatchMachine.getTransitionData(afterFirst!.snapshot, event);
      expect(ignore!.target).toBeUndefined();
      expect(ignore!.actions).toEqual([]);
      taken.add(ignore!);
    }
    const branches: Array<{ label: string; transition: AnyTransitionDefinition }> = [];
    for (const node of Object.values(toolBatchMachine.root.states)) {
      const label = (trigger: string, t: AnyTransitionDefinition) =>
        `${node.key} —${trigger} [${guardText(t.guard as Parameters<typeof guardText>[0]) ?? 'no guard'}]→ ${t.target?.map((x) => x.key).join(',') ?? '(self)'}`;
      for (const [type, transitions] of node.transitions) for (const t of transitions) branches.push({ label: label(type, t), transition: t });
      for (const t of node.always ?? []) branches.push({ label: label('always', t), transition: t });
    }
    // Reports that name no waiting call (a second approve or deny, a retry timer that fires after a cancel) are ignored.
    const [, firstStep] = getBatchPaths({ calls: 2, options: { concurrency: 2 } })[0]!.steps;
    for (const event of [{ type: 'call.deny' as const, id: 'nobody' }, { type: 'call.approvalRequested' as const, index: 9, arguments: {} }]) {
      for (const t of toolBatchMachine.getTransitionData(firstStep!.snapshot, event)) taken.add(t);
    }
    // A cancel that changes nothing (an unknown id, a settled or cancelled call) leaves the state as it was,
    // so a simple path never repeats it: take it here, where it must emit and change nothing.
    for (const id of ['nobody', `c${settledIndex}`]) {
      const [ignore] = toolBatchMachine.getTransitionData(afterFirst!.snapshot, { type: 'call.cancel', id });
      expect([ignore!.target, ignore!.actions.map((action) => (action as { type?: string }).type ?? action)]).toEqual([undefined, ['announceIgnoredCancel']]);
      taken.add(ignore!);
    }
    const missing = branches.filter((b) => !taken.has(b.transition)).map((b) => b.label);
    console.log(`transition coverage: ${branches.length - missing.length}/${branches.length} branches over ${configurations.length} configurations, ${totalPaths} complete paths`);
    expect(branches.length).toBeGreaterThanOrEqual(24);
    expect(missing).toEqual([]);
    // And every edge of the slot chart is some slot's change on some path (streaming ones included).
    const slotEdges = Object.values(toolSlotChart.root.states).flatMap((node) =>
      [...node.transitions.values()].flat().flatMap((t) => (t.target ?? []).map((target) => `${node.key}→${target.key}`)),
    );
    expect(slotEdges.filter((edge) => !slotEdgesTaken.has(edge))).toEqual([]);
  });
});
