/**
 * `runToolBatch`: the promise API over the batch machine, for code that does
 * not use XState.
 */
import { createActor, type ActorOptions, type InspectionEvent, type Observer, type Snapshot } from 'xstate';
import { toolBatchMachine, type ToolBatchEmitted, type ToolBatchInput, type ToolBatchOutput } from '../../machines/tool-batch.machine.js';
import { createWallClock, type ClockWithNow } from './clock.js';
import { ToolBatchError } from '../core/errors.js';
import { assertToolCalls, batchOptionKeys, resolveBatchOptions, showValue } from '../core/options.js';
import { assertKnownKeys } from '../core/option-keys.js';
import type { BatchOptions, ResolvedBatchOptions, SettledResult, ToolCall, ToolOutput } from '../core/schemas.js';
import { assertRunHooks, assertToolSource } from './run-options.js';
import { routerFrom, type AnyTool, type ToolSource } from './tools.js';
import type { ToolCallLogic } from '../../machines/tool-call.machine.js';
import { actorPromise } from './actor-promise.js';
import { answerApprovals, keepCheckpoints, loadCheckpoint, owningRun, type Approver, type HeldRun } from './durable.js';
import type { RunStore } from './run-store.js';
import { assertCallControl, attachCallControl, callControlTarget, type CallControl } from './call-control.js';

/** Options of `runToolBatch`: the tools, the batch options, and hooks. */
export type RunToolBatchOptions = (ToolSource | RunnerSource) &
  BatchOptions & {
    /**
     * A durable run's id: each tool gets `idempotencyKey` `${runId}:${call.id}` in its context,
     * the same on every re-run of that call. With `store`, the batch resumes from its last
     * checkpoint when started again with the same id. Default: none.
     */
    runId?: string;
    /**
     * Where the run's checkpoints go (needs `runId`): written after every step, so that a crash
     * loses no settled call. A finished run's checkpoint stays, so the same `runId` gives the
     * same result without running anything; `store.delete(runId)` forgets it. Default: none.
     */
    store?: RunStore;
    /**
     * How long the run's lease in `store` lasts without a renewal, in ms: another process may
     * take the run over this long after its owner died (at once, with the file store, when the
     * owner ran on this host). Renewed every third of it while the run lives. Default: 30,000.
     */
    leaseMs?: number;
    /**
     * Decides each approval a tool asks for (`needsApproval`); the call waits, holding no lane,
     * until it answers. Without it every approval is denied (kind `denied`). Default: none.
     */
    approve?: Approver;
    /** Aborting it cancels the batch: running calls are aborted and the promise rejects with `signal.reason`. */
    signal?: AbortSignal;
    /** XState's inspection observer, attached to the batch's actor system. */
    inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
    /**
     * Receives every progress event the batch emits (`call.started`, `call.settled`, `batch.settled`).
     * If it throws, the batch is cancelled and rejects with what it threw.
     */
    onEvent?: (event: ToolBatchEmitted) => void;
    /** The actor system's clock. Default: real timers, `now()` in ms since the batch started. */
    clock?: ClockWithNow;
    /**
     * Cancels single calls while the batch runs: `control.cancel(id, reason?)` (see
     * `createCallControl`). A cancelled call settles with kind `cancelled`; under `settleAll` its
     * slot is that failure, under `joinAll` and `failFast` the batch rejects with `ToolBatchError`
     * once every call settled, the other outputs kept. Default: none.
     */
    control?: CallControl;
  };

/**
 * Where calls run instead of in this process: any object with an invocation
 * actor (`runTool`), such as a queue-backed runner. A `ToolRouter` is one.
 */
export interface ToolRunner {
  readonly runTool: ToolCallLogic;
}

/** Calls go to `runner`; `tools`, when given too, are only described (to a model), never run here. */
export interface RunnerSource {
  runner: ToolRunner;
  tools?: readonly AnyTool[];
  router?: never;
}

/**
 * Every option `runToolBatch` (and `withParallelTools`) takes, in one place:
 * any other key is a `TypeError` naming the closest of these.
 */
export const runToolBatchOptionKeys: readonly string[] = [
  'tools',
  'router',
  'runner',
  ...batchOptionKeys,
  'runId',
  'signal',
  'inspect',
  'onEvent',
  'clock',
  'store',
  'leaseMs',
  'approve',
  'control',
];

const machines = new WeakMap<ToolCallLogic, typeof toolBatchMachine>();

/** The batch machine with an invocation actor provided, made once per actor logic. */
export function machineFor(runTool: ToolCallLogic): typeof toolBatchMachine {
  let machine = machines.get(runTool);
  if (machine === undefined) {
    machine = toolBatchMachine.provide({ actors: { runTool } });
    machines.set(runTool, machine);
  }
  return machine;
}

/** The invocation actor of a tool source: the runner's, or the router's (made from `tools` once per array). */
export function runToolOf(source: ToolSource | RunnerSource): ToolCallLogic {
  if ('runner' in source && source.runner !== undefined) {
    const { runner } = source;
    if (typeof runner !== 'object' || runner === null || typeof runner.runTool !== 'object' || runner.runTool === null) {
      throw new TypeError(`Expected \`runner\` to be an object with a \`runTool\` actor logic, got ${showValue(runner)}`);
    }
    return runner.runTool;
  }
  return routerFrom(source as ToolSource).runTool;
}

/**
 * Runs one turn's tool calls concurrently and returns their results in input order.
 *
 * @param calls - `{ id, name, arguments }` objects; ids must be unique.
 * @param options - `tools` or `router`, plus `concurrency`, `policy`, `timeoutMs`,
 *   `perToolConcurrency`, `signal`, `inspect`, `onEvent`, `clock`.
 * @returns the outputs in input order; under `settleAll`, one `{ ok, output | failure }` per call.
 * @throws `TypeError` (as a rejection) for invalid options or calls, before any tool starts;
 *   `ToolBatchError` when the batch fails; `signal.reason` when the signal aborts it.
 * @example
 * ```ts
 * const outputs = await runToolBatch(
 *   [{ id: '1', name: 'add', arguments: { a: 1, b: 2 } }],
 *   { tools: [add], concurrency: 4 },
 * );
 * // [{ id: '1', result: 3 }]
 * ```
 */
export function runToolBatch(
  calls: readonly ToolCall[],
  options: RunToolBatchOptions & { policy: 'settleAll' },
): Promise<SettledResult[]>;
export function runToolBatch(
  calls: readonly ToolCall[],
  options: RunToolBatchOptions & { policy?: 'joinAll' | 'failFast' },
): Promise<ToolOutput[]>;
export function runToolBatch(calls: readonly ToolCall[], options: RunToolBatchOptions): Promise<ToolOutput[] | SettledResult[]>;
export function runToolBatch(calls: readonly ToolCall[], options: RunToolBatchOptions): Promise<ToolOutput[] | SettledResult[]> {
  return new Promise((resolve, reject) => {
    assertToolCalls(calls);
    const { batchOptions, runTool } = checkRunToolBatchOptions(options);
    const { signal, inspect, onEvent, clock, runId, store, leaseMs, approve, control } = options;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    resolve(owningRun({ store, runId, leaseMs }, (held) => runDurably(calls, { batchOptions, runTool, signal, inspect, onEvent, clock, runId, store, approve, control, held })));
  });
}

async function runDurably(
  calls: readonly ToolCall[],
  options: Pick<RunToolBatchOptions, 'signal' | 'inspect' | 'onEvent' | 'clock' | 'runId' | 'store' | 'approve' | 'control'> & {
    batchOptions: ResolvedBatchOptions;
    runTool: ToolCallLogic;
    held: HeldRun | undefined;
  },
): Promise<ToolOutput[] | SettledResult[]> {
  const { batchOptions, runTool, signal, inspect, onEvent, clock, runId, store, approve, control, held } = options;
  const restored = held !== undefined ? await loadCheckpoint(store!, runId!, 'batch') : undefined;
  const input: ToolBatchInput = { calls, options: batchOptions, ...(runId !== undefined && { runId }) };
  const actorOptions: ActorOptions<ReturnType<typeof machineFor>> & { input: ToolBatchInput } = {
    input,
    clock: clock ?? createWallClock(),
    ...(inspect && { inspect }),
    ...(restored !== undefined && { snapshot: restored as Snapshot<unknown> }),
  };
  const actor = createActor(machineFor(runTool), actorOptions);
  const checkpoints = store !== undefined && runId !== undefined ? keepCheckpoints(actor, store, runId, 'batch') : undefined;
  answerApprovals(actor, approve, actor);
  const detach = attachCallControl(control, callControlTarget(actor, 'batch'));
  try {
    // A restored call that awaited an approval is announced again as the batch starts, and so asked again.
    const done = actorPromise(actor, { signal, onEvent, cancelEvent: { type: 'batch.cancel' } });
    // A run taken over by another owner stops here: no tool of it runs on, nothing more is written.
    held?.lost.catch(() => {
      checkpoints?.stop();
      actor.stop();
    });
    const output = await (held === undefined ? done : Promise.race([done, held.lost]));
    await checkpoints?.flush();
    return settle(output, signal);
  } finally {
    detach();
    checkpoints?.stop();
  }
}

/**
 * Checks every option of `runToolBatch` (and so of `withParallelTools`)
 * before anything starts: no unknown key, `tools` or `router` or `runner`,
 * the batch options, and the hooks.
 *
 * @param options - what the caller passed.
 * @returns the resolved batch options and the invocation actor logic.
 * @throws `TypeError` naming the option, the value and its type; for an unknown key, the closest known key.
 * @example
 * ```ts
 * const { batchOptions, runTool } = checkRunToolBatchOptions({ tools: [add], concurrency: 2 });
 * ```
 */
export function checkRunToolBatchOptions(options: RunToolBatchOptions): { batchOptions: ResolvedBatchOptions; runTool: ToolCallLogic } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected \`options\` to be an object with \`tools\`, got ${showValue(options)}`);
  }
  assertKnownKeys(options, runToolBatchOptionKeys);
  assertToolSource(options);
  const { concurrency, policy, timeoutMs, perToolConcurrency } = options;
  const given: BatchOptions = { concurrency, policy, timeoutMs, perToolConcurrency };
  if (options.retry !== undefined) given.retry = options.retry;
  const batchOptions = resolveBatchOptions(given);
  assertRunHooks(options);
  assertCallControl(options.control);
  return { batchOptions, runTool: runToolOf(options) };
}

/** The batch's output as `runToolBatch` promises it: the results, or a rejection. */
function settle(output: ToolBatchOutput, signal: AbortSignal | undefined): ToolOutput[] | SettledResult[] {
  switch (output.status) {
    case 'succeeded':
      return 'results' in output ? output.results : output.outputs;
    case 'failed':
      throw new ToolBatchError(output.policy, output.failures, output.outputs);
    case 'cancelled':
      // Exactly the signal's reason, whatever it is (`AbortSignal.abort(null)` rejects with `null`), as before the start.
      if (signal?.aborted) throw signal.reason;
      throw new DOMException('The tool batch was cancelled', 'AbortError');
  }
}
