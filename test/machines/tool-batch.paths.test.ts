import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import type { AnyTransitionDefinition } from 'xstate';
import type { ToolBatchEvent, ToolBatchOutput } from '../../machines/tool-batch.machine.js';
import { joinPolicies, type JoinPolicy } from '../../src/core/schemas.js';
import { replayPath } from '../helpers/batch-invariants.js';
import {
  callsOf,
  chartBranches,
  clonedBatchLogic,
  generatePaths,
  possibleEvents,
  serializeBatch,
  type Configuration,
} from '../helpers/batch-model.js';

interface Exploration {
  paths: number;
  /** Paths that end in a final state: complete interleavings. */
  complete: number;
  /** Distinct traversal states (the key includes lane bookkeeping, so every interleaving is its own state). */
  states: number;
  /** Distinct chart configurations: state value, slot statuses, first failure. */
  configurations: number;
  steps: number;
  endings: string[];
  violations: string[];
  taken: Set<AnyTransitionDefinition>;
}

const configurations: Configuration[] = joinPolicies.flatMap((policy) =>
  [1, 2, 3, 4].flatMap((calls) => [1, 2, 3].map((concurrency) => ({ calls, concurrency, policy }))),
);

const explored = new Map<string, Exploration>();

/** Generates every interleaving of one configuration and replays each path through the invariants (memoised). */
function explore(config: Configuration): Exploration {
  const key = `${config.policy}/${config.calls}/${config.concurrency}`;
  const known = explored.get(key);
  if (known) return known;
  const { input, paths } = generatePaths(config);
  const violations: string[] = [];
  const taken = new Set<AnyTransitionDefinition>();
  const states = new Set<string>();
  const chartConfigurations = new Set<string>();
  const endings = new Set<string>();
  let steps = 0;
  let complete = 0;
  for (const path of paths) {
    states.add(serializeBatch(path.state));
    // Every active state has a way on (batch.cancel at least), so each path is a prefix of a complete
    // one, and replaying the complete paths checks every step of every path.
    if (path.state.status === 'done') {
      const events = path.steps.slice(1).map((s) => s.event as ToolBatchEvent);
      const result = replayPath(input, events, path.steps.map((s) => s.state));
      violations.push(...result.violations);
      result.taken.forEach((t) => taken.add(t));
      steps += result.steps;
    }
    const { value, context } = path.state;
    chartConfigurations.add(JSON.stringify([value, context.slots.map((s) => s.status), context.firstFailure]));
    if (path.state.status === 'done') {
      endings.add((path.state.output as ToolBatchOutput).status);
      complete++;
    }
  }
  const exploration = {
    paths: paths.length,
    complete,
    states: states.size,
    configurations: chartConfigurations.size,
    steps, endings: [...endings].sort(), violations, taken };
  explored.set(key, exploration);
  return exploration;
}

const possibleEndings: Record<JoinPolicy, string[]> = {
  joinAll: ['cancelled', 'failed', 'succeeded'],
  failFast: ['cancelled', 'failed', 'succeeded'],
  settleAll: ['cancelled', 'succeeded'],
};

describe('toolBatchMachine paths', () => {
  describe.each(joinPolicies)('%s', (policy) => {
    it.each(configurations.filter((c) => c.policy === policy))(
      'keeps every invariant at every step of every interleaving: $calls calls, N=$concurrency',
      (config) => {
        const result = explore(config);
        console.log(
          `paths ${policy} K=${config.calls} N=${config.concurrency}: ${result.paths} paths (${result.complete} complete), ` +
            `${result.states} states, ${result.configurations} chart configurations, ${result.steps} steps replayed, ends ${result.endings.join('/')}`,
        );
        expect(result.violations.slice(0, 5)).toEqual([]);
        expect(result.endings).toEqual(possibleEndings[policy]);
        // Every state was reached by some path, and the traversal found more than the start.
        expect(result.states).toBeGreaterThan(1);
        expect(result.paths).toBeGreaterThanOrEqual(result.states);
      },
    );
  });

  it('ends failFast one failure from the start, and joinAll only after every call settled', () => {
    for (const calls of [1, 2, 3, 4]) {
      for (const concurrency of [1, 2, 3]) {
        const shortestToFailed = (policy: JoinPolicy) => {
          const input = { calls: callsOf(calls), options: { concurrency, policy } };
          const paths = getShortestPaths(clonedBatchLogic, { input, events: possibleEvents, serializeState: serializeBatch });
          const failed = paths.filter((p) => p.state.value === 'failed').map((p) => p.steps.length - 1);
          return Math.min(...failed);
        };
        expect(shortestToFailed('failFast')).toBe(1);
        expect(shortestToFailed('joinAll')).toBe(calls);
      }
    }
  });

  it('takes every on/always branch of the batch chart, by guard, on some generated path', () => {
    const taken = new Set<AnyTransitionDefinition>();
    let paths = 0;
    let complete = 0;
    let states = 0;
    let chartConfigurations = 0;
    for (const config of configurations) {
      const result = explore(config);
      result.taken.forEach((t) => taken.add(t));
      paths += result.paths;
      complete += result.complete;
      states += result.states;
      chartConfigurations += result.configurations;
    }
    const branches = chartBranches();
    const covered = branches.filter((b) => taken.has(b.transition));
    const missing = branches.filter((b) => !taken.has(b.transition)).map((b) => b.label);
    console.log(
      [
        `transition coverage: ${covered.length}/${branches.length} branches (${((100 * covered.length) / branches.length).toFixed(0)}%) over ${configurations.length} configurations, ` +
          `${paths} paths (${complete} complete), ${states} states, ${chartConfigurations} chart configurations`,
        ...branches.map((b) => `  ${taken.has(b.transition) ? '✓' : '✗'} ${b.label}`),
      ].join('\n'),
    );
    // The branch list comes from the machine: if the chart grows, so does the denominator.
    expect(branches.length).toBeGreaterThanOrEqual(9);
    expect(missing).toEqual([]);
    expect(covered.length / branches.length).toBe(1);
    // Nothing taken lies outside the chart's own branch list.
    const known = new Set(branches.map((b) => b.transition));
    expect([...taken].filter((t) => !known.has(t))).toEqual([]);
  });
});
