/**
 * `runToolBatch`: the promise API over the batch machine, for code that does
 * not use XState.
 */
import { createActor, type InspectionEvent, type Observer } from 'xstate';
import { toolBatchMachine, type ToolBatchEmitted, type ToolBatchOutput } from '../../machines/tool-batch.machine.js';
import { createWallClock, type ClockWithNow } from './clock.js';
import { ToolBatchError } from '../core/errors.js';
import { assertToolCalls, resolveBatchOptions, showValue } from '../core/options.js';
import type { BatchOptions, SettledResult, ToolCall, ToolOutput } from '../core/schemas.js';
import { routerFrom, type AnyTool, type ToolSource } from './tools.js';
import type { ToolCallLogic } from '../../machines/tool-call.machine.js';
import { actorPromise } from './actor-promise.js';

/** Options of `runToolBatch`: the tools, the batch options, and hooks. */
export type RunToolBatchOptions = (ToolSource | RunnerSource) &
  BatchOptions & {
    /**
     * A durable run's id: each tool gets `idempotencyKey` `${runId}:${call.id}` in its context,
     * the same on every re-run of that call. Default: none.
     */
    runId?: string;
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
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object with \`tools\`, got ${showValue(options)}`);
    }
    assertToolCalls(calls);
    const { concurrency, policy, timeoutMs, perToolConcurrency, signal, inspect, onEvent, clock, runId } = options;
    const batchOptions = resolveBatchOptions({ concurrency, policy, timeoutMs, perToolConcurrency });
    const runTool = runToolOf(options);
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }

    const actor = createActor(machineFor(runTool), {
      input: { calls, options: batchOptions, ...(runId === undefined ? {} : { runId }) },
      clock: clock ?? createWallClock(),
      ...(inspect ? { inspect } : {}),
    });
    resolve(actorPromise(actor, { signal, onEvent, cancelEvent: { type: 'batch.cancel' } }).then((output) => settle(output, signal)));
  });
}

/** The batch's output as `runToolBatch` promises it: the results, or a rejection. */
function settle(output: ToolBatchOutput, signal: AbortSignal | undefined): ToolOutput[] | SettledResult[] {
  switch (output.status) {
    case 'succeeded':
      return 'results' in output ? output.results : output.outputs;
    case 'failed':
      throw new ToolBatchError(output.policy, output.failures, output.outputs);
    case 'cancelled':
      throw signal?.reason ?? new DOMException('The tool batch was cancelled', 'AbortError');
  }
}
