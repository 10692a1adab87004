/**
 * Every interleaving of completions of a small batch, on the batch machine as
 * exported, with XState's own graph utilities; and the invariants every path
 * must keep, as a function anyone can call on a path.
 *
 * Traversal never starts actors: children are created but not run, and the
 * events a running call could send next are injected. That is exactly a
 * model of "any order in which the calls could finish".
 */
import { getSimplePaths } from 'xstate/graph';
import type { SnapshotFrom } from 'xstate';
import { toolBatchMachine, type ToolBatchEvent, type ToolBatchInput, type ToolBatchOutput } from '../../machines/tool-batch.machine.js';
import { settlementsBySlot } from '../../machines/settlement-log.js';
import { toolFailure } from '../core/failure.js';
import type { BatchOptions, ToolCall } from '../core/schemas.js';

/** A snapshot of the batch machine. */
export type BatchSnapshot = SnapshotFrom<typeof toolBatchMachine>;

/** Options of `getBatchPaths`. */
export interface BatchPathsOptions {
  /** The calls, or how many: `n` calls `c0 … c(n−1)` of a tool named `tool`. */
  calls: readonly ToolCall[] | number;
  /** The batch options. Default: the batch's defaults. */
  options?: BatchOptions;
  /** Ids of the calls that fail (with kind `error`); the others succeed. Default: none. */
  fail?: readonly string[];
  /** Also explore `batch.cancel` at every step. Default: `false`. */
  cancel?: boolean;
  /** Ids of the calls whose tool needs an approval: each asks first, then is approved. Default: none. */
  approve?: readonly string[];
  /** Ids of the calls whose tool needs an approval that is denied. Default: none. */
  deny?: readonly string[];
  /** Ids of the calls whose first attempt fails and is retried (after 10 ms) before they settle. Default: none. */
  retry?: readonly string[];
  /**
   * Ids of the calls whose tool streams: while one runs, and has not yielded yet in this attempt, a
   * `call.partial` (value `pathPartial(index)`) is explored beside its completion. A call that needs
   * an approval yields only once approved. Default: none.
   */
  partial?: readonly string[];
  /**
   * Ids of calls to cancel: `call.cancel` of each (reason `'stop'`) is explored at every step, whatever
   * the call's state (queued, running, awaiting approval, retrying, or settled, when it changes nothing).
   * An id that names no call explores the ignored cancel. Default: none.
   */
  cancelOne?: readonly string[];
}

/** One step of a path: the event, and the snapshot after it (`xstate.init` first). */
export interface BatchPathStep {
  event: ToolBatchEvent | { type: 'xstate.init' };
  snapshot: BatchSnapshot;
  /** How the snapshot serialised when traversal first produced it. */
  serialized?: string;
}

/** One complete interleaving: its steps and the batch's output. */
export interface BatchPath {
  steps: BatchPathStep[];
  output: ToolBatchOutput;
}

function callsOf(calls: BatchPathsOptions['calls']): ToolCall[] {
  if (typeof calls === 'number') return Array.from({ length: calls }, (_, i) => ({ id: `c${i}`, name: 'tool', arguments: { i } }));
  return [...calls];
}

/** A snapshot's state and context as JSON: what traversal tells states apart by. */
function serialize(snapshot: BatchSnapshot): string {
  return JSON.stringify({ value: snapshot.value, context: snapshot.context });
}

/** The result a call "returns" on a generated path: `r<index>`. */
export const pathResult = (index: number): string => `r${index}`;

/** The partial result a streaming call yields on a generated path: `p<index>`. */
export const pathPartial = (index: number): string => `p${index}`;

/**
 * Every complete interleaving of completions of a small batch.
 *
 * @param options - `calls`, batch `options`, the ids that `fail`, whether to explore `cancel`, the
 *   ids that ask for an approval (`approve`, `deny`), are retried (`retry`) or stream (`partial`), and the ids to `cancelOne`.
 * @returns one path per interleaving that ends the batch, each with its steps and output.
 * @example
 * ```ts
 * const paths = getBatchPaths({ calls: 3, options: { concurrency: 2, policy: 'joinAll' }, fail: ['c1'] });
 * for (const path of paths) expect(checkBatchPath(path, { calls: 3, options: { concurrency: 2, policy: 'joinAll' } })).toEqual([]);
 * ```
 */
export function getBatchPaths(options: BatchPathsOptions): BatchPath[] {
  const calls = callsOf(options.calls);
  const failing = new Set(options.fail ?? []);
  const asking = new Set([...(options.approve ?? []), ...(options.deny ?? [])]);
  const denied = new Set(options.deny ?? []);
  const flaky = new Set(options.retry ?? []);
  const streaming = new Set(options.partial ?? []);
  const input: ToolBatchInput = { calls, ...(options.options ? { options: options.options } : {}) };
  const events = (snapshot: BatchSnapshot): ToolBatchEvent[] => {
    if (snapshot.status !== 'active') return [];
    const next: ToolBatchEvent[] = [];
    const { context } = snapshot;
    for (const index of context.lanes) {
      if (index === null) continue;
      const call = calls[index]!;
      const asks = asking.has(call.id) && !context.approved.includes(index);
      // One partial per attempt is enough: a second one changes no state, and simple paths never repeat a state.
      if (streaming.has(call.id) && !asks && !(context.streaming ?? []).includes(index)) next.push({ type: 'call.partial', index, value: pathPartial(index) });
      if (asks) next.push({ type: 'call.approvalRequested', index, arguments: call.arguments });
      else if (flaky.has(call.id) && (context.attempts[index] ?? 1) === 1) {
        next.push({ type: 'call.failed', index, failure: toolFailure(index, call, 'error', `flaky ${index}`, undefined), retryInMs: 10 });
      } else if (failing.has(call.id)) next.push({ type: 'call.failed', index, failure: toolFailure(index, call, 'error', `e${index}`, undefined) });
      else next.push({ type: 'call.succeeded', index, output: { id: call.id, result: pathResult(index) } });
    }
    for (const index of context.awaiting) {
      const { id } = calls[index]!;
      next.push(denied.has(id) ? { type: 'call.deny', id, reason: 'no' } : { type: 'call.approve', id });
    }
    for (const index of context.retrying) next.push({ type: 'call.retryDue', index });
    for (const id of options.cancelOne ?? []) next.push({ type: 'call.cancel', id, reason: 'stop' });
    if (options.cancel) next.push({ type: 'batch.cancel' });
    return next;
  };
  // Record each state's serialisation when traversal first sees it, to show later that it never changed.
  const whenTaken = new WeakMap<object, string>();
  const serializeState = (snapshot: BatchSnapshot): string => {
    const text = serialize(snapshot);
    if (!whenTaken.has(snapshot)) whenTaken.set(snapshot, text);
    return text;
  };
  const paths = getSimplePaths(toolBatchMachine, { input, events, serializeState });
  return paths
    .filter((path) => path.state.status === 'done')
    .map((path) => ({
      steps: path.steps.map((step) => {
        const serialized = whenTaken.get(step.state);
        return { event: step.event as BatchPathStep['event'], snapshot: step.state as BatchSnapshot, ...(serialized === undefined ? {} : { serialized }) };
      }),
      output: path.state.output as ToolBatchOutput,
    }));
}

/**
 * Checks the batch's invariants at every step of a path and returns every
 * violation (an empty list when the path keeps them all):
 * running ≤ N and ≤ each per-tool limit; one child per running call, on its
 * lane; only running calls stream, while the batch runs; admission FIFO by index (within what per-tool limits allow); every
 * call settles once and a settlement never changes; failFast starts nothing
 * after the first failure; joinAll ends only when every call settled; a
 * `call.cancel` settles only its own call (nothing else settles or stops
 * in that step), and ends the batch only by settling its last call; a call
 * cancelled while queued never starts, and admission skips it; the output
 * keeps input order; and every snapshot of the path still serialises as it
 * did when it was taken.
 *
 * @param path - a path from `getBatchPaths`, or steps you recorded yourself.
 * @param batch - the `calls` and `options` the path was made with.
 * @returns the violations, each naming the step.
 * @example
 * ```ts
 * expect(checkBatchPath(path, { calls: 3, options: { concurrency: 2 } })).toEqual([]);
 * ```
 */
export function checkBatchPath(path: BatchPath, batch: Pick<BatchPathsOptions, 'calls' | 'options'>): string[] {
  const calls = callsOf(batch.calls);
  const limit = batch.options?.concurrency ?? Infinity;
  const perTool = batch.options?.perToolConcurrency ?? {};
  const policy = batch.options?.policy ?? 'failFast';
  const violations: string[] = [];
  let admitted = new Set<number>();
  let settledBefore = new Map<number, string>();
  let failedAt = -1;
  path.steps.forEach(({ event, snapshot }, at) => {
    const where = `step ${at} (${event.type}${'index' in event ? ` ${event.index}` : ''})`;
    const check = (ok: boolean, message: string): void => {
      if (!ok) violations.push(`${where}: ${message}`);
    };
    const { context } = snapshot;
    const running = context.lanes.flatMap((index, lane) => (index === null ? [] : [{ index, lane }]));
    check(running.length <= limit, `${running.length} calls run, over the limit ${limit}`);
    check(running.length === context.running, `running count ${context.running} ≠ ${running.length} busy lanes`);
    for (const [tool, max] of Object.entries(perTool)) {
      const count = running.filter(({ index }) => calls[index]!.name === tool).length;
      check(count <= max, `${count} calls of ${tool} run, over its limit ${max}`);
    }
    const children = Object.keys(snapshot.children).sort();
    const expectedChildren = [
      ...running.map(({ lane }) => String(lane)),
      ...context.retrying.map((index) => `retry:${index}`),
      ...context.awaiting.map((index) => `approval:${index}`),
    ].sort();
    check(
      JSON.stringify(children) === JSON.stringify(expectedChildren),
      `children ${children} are not the busy lanes, retry timers and approval gates ${expectedChildren}`,
    );
    if (snapshot.status === 'active') {
      for (const index of context.streaming ?? []) check(context.lanes.includes(index), `call ${index} streams without a lane`);
    }
    for (const index of [...context.awaiting, ...context.retrying]) {
      check(!context.lanes.includes(index), `call ${index} holds a lane while it waits`);
    }
    // FIFO: within each limit's queue, the calls that started are a prefix of its calls in index order
    // (calls cancelled while queued left the queue without starting).
    const settled = settlementsBySlot(context.settlements, calls.length);
    const withdrawn = new Set(context.withdrawn);
    const started = new Set<number>([...running.map(({ index }) => index), ...context.awaiting, ...context.retrying, ...context.ready]);
    settled.forEach((s, index) => s !== undefined && !withdrawn.has(index) && started.add(index));
    for (const index of withdrawn) check(settled[index]?.status === 'cancelled' && !admitted.has(index), `call ${index} was withdrawn but started or did not settle as cancelled`);
    const queueOf = (index: number): string => (perTool[calls[index]!.name] === undefined ? '' : calls[index]!.name);
    const queues = new Map<string, number[]>();
    calls.forEach((_, index) => !withdrawn.has(index) && queues.set(queueOf(index), [...(queues.get(queueOf(index)) ?? []), index]));
    for (const [queue, indices] of queues) {
      const prefix = indices.findIndex((index) => !started.has(index));
      const rest = prefix === -1 ? [] : indices.slice(prefix);
      check(rest.every((index) => !started.has(index)), `queue ${queue || '(no per-tool limit)'} started out of index order`);
    }
    if (failedAt !== -1 && policy === 'failFast') check([...started].every((i) => admitted.has(i)), 'a call started after the failure under failFast');
    admitted = started;
    // Each settlement happens once and never changes.
    const seen = new Map<number, string>();
    settled.forEach((s, index) => {
      if (s === undefined) return;
      const text = JSON.stringify(s);
      seen.set(index, text);
      const before = settledBefore.get(index);
      check(before === undefined || before === text, `the settlement of call ${index} changed`);
      if (s.status === 'failed' && failedAt === -1) failedAt = at;
    });
    check(seen.size === context.settled, `settled count ${context.settled} ≠ ${seen.size} settlements`);
    if (event.type === 'call.cancel') {
      // A cancel settles its own call (as cancelled) or nothing; it ends the batch only by settling the last call.
      const newly = [...seen.keys()].filter((index) => !settledBefore.has(index));
      const own = calls.findIndex((call) => call.id === event.id);
      check(newly.length === 0 || (newly.length === 1 && newly[0] === own && settled[own]!.status === 'cancelled'), `call.cancel of ${event.id} settled ${newly}`);
      check(snapshot.status !== 'done' || seen.size === calls.length, `call.cancel of ${event.id} ended the batch before every call settled`);
    }
    settledBefore = seen;
    if (policy === 'joinAll' && snapshot.status === 'done' && snapshot.value !== 'cancelled') {
      check(seen.size === calls.length, 'joinAll ended before every call settled');
    }
  });
  // Snapshots are values: each serialises now as it did when traversal first produced it.
  path.steps.forEach((step, at) => {
    if (step.serialized !== undefined && serialize(step.snapshot) !== step.serialized) violations.push(`step ${at}: its snapshot changed after it was taken`);
  });
  const { output } = path;
  const outputs = 'results' in output ? output.results.map((r) => (r.ok ? r.output : undefined)) : output.outputs;
  outputs.forEach((out, index) => {
    if (out !== undefined && out.id !== calls[index]!.id) violations.push(`output ${index} is ${out.id}, not ${calls[index]!.id}: out of order`);
  });
  return violations;
}
