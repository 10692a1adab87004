/**
 * Runs one step's collected `execute` calls as one batch and settles each
 * call's promise with its own outcome.
 */
import { z } from 'zod';
import {
  defineTool,
  runToolBatch,
  ToolBatchError,
  type AnyTool,
  type BatchOptions,
  type SettledResult,
  type ToolBatchEmitted,
  type ToolCall,
  type ToolOutput,
} from '../../index.js';
import { failureError, notStartedError } from './failure-error.js';
import { asyncIteratorMethod } from '../../core/async-iterable.js';

/**
 * One `execute` call waiting for its step's batch.
 *
 * @example
 * ```ts
 * const pending: PendingCall = { call, run: (signal) => execute(input, { ...options, abortSignal: signal }), sdkSignal: undefined, resolve, reject };
 * ```
 */
export interface PendingCall {
  /** The call as the batch sees it: the SDK's `toolCallId`, tool name and input. */
  call: ToolCall;
  /** Runs the SDK tool with the given signal and resolves with its output. */
  run(signal: AbortSignal): Promise<unknown>;
  /** The SDK's abort signal for this call, if any. */
  sdkSignal: AbortSignal | undefined;
  /** Receives each partial result of the call (`call.partial`), when the SDK tool streams. Default: none. */
  partial?(value: unknown): void;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The batch options of a step, and the progress hook.
 *
 * @example
 * ```ts
 * const options: StepBatchOptions = { concurrency: 2, onEvent: (event) => console.log(event.type) };
 * ```
 */
export type StepBatchOptions = BatchOptions & { onEvent?: (event: ToolBatchEmitted) => void };

/**
 * The batch's tools for a set of tool names: each runs the pending call with
 * its id. The SDK has already validated the input, so the schema takes any value.
 *
 * @param names - the tool names.
 * @param pendingById - the step's calls by id.
 * @param outputs - where each call's SDK output is kept, by id.
 * @returns one tool per name.
 * @example
 * ```ts
 * const tools = batchTools(['weather'], new Map(), new Map());
 * ```
 */
export function batchTools(
  names: Iterable<string>,
  pendingById: ReadonlyMap<string, PendingCall>,
  outputs: Map<string, unknown>,
): AnyTool[] {
  return [...new Set(names)].map((name) =>
    defineTool({
      name,
      description: name,
      parameters: z.unknown(),
      execute: async (_input, { signal, call }) => {
        const pending = pendingById.get(call.id);
        if (pending === undefined) throw new Error(`no pending call with id "${call.id}"`);
        // The SDK decides how the output reaches the model (`toModelOutput`
        // included), so the batch keeps it aside and only records success.
        const output = await pending.run(signal);
        if (asyncIteratorMethod(output) === undefined) {
          outputs.set(call.id, output);
          return null;
        }
        return streamInto(call.id, output as AsyncIterable<unknown>, outputs);
      },
    }),
  );
}

/**
 * Streams an SDK tool's async iterable through the batch: each value is a
 * partial result (checked as JSON, as every partial is), and the last one is
 * the SDK's output, as the AI SDK reads a stream. `for await` returns the
 * SDK's iterable when the batch returns this one (abort, timeout, failFast).
 */
async function* streamInto(id: string, stream: AsyncIterable<unknown>, outputs: Map<string, unknown>): AsyncGenerator<unknown, null> {
  let last: unknown;
  for await (const value of stream) {
    last = value;
    yield value;
  }
  outputs.set(id, last);
  return null;
}

/**
 * Runs the calls as one batch; each call's promise settles as soon as its
 * call does, and calls the batch never started reject with kind `aborted`.
 *
 * @param pending - the step's calls, in the order the SDK handed them over.
 * @param options - the batch options.
 * @returns a promise that resolves once every call's promise has settled; it never rejects.
 * @example
 * ```ts
 * await runStepBatch(calls, { concurrency: 2, policy: 'settleAll' });
 * ```
 */
export async function runStepBatch(pending: readonly PendingCall[], options: StepBatchOptions): Promise<void> {
  const byId = new Map(pending.map((entry) => [entry.call.id, entry]));
  const outputs = new Map<string, unknown>();
  const open = new Set(pending);
  const succeed = (entry: PendingCall | undefined): void => {
    if (entry !== undefined && open.delete(entry)) entry.resolve(outputs.get(entry.call.id));
  };
  const fail = (entry: PendingCall | undefined, error: unknown): void => {
    if (entry !== undefined && open.delete(entry)) entry.reject(error);
  };

  const { onEvent, ...batchOptions } = options;
  const stepAbort = stepSignal(pending.map((entry) => entry.sdkSignal));
  try {
    const results: Array<ToolOutput | SettledResult> = await runToolBatch(
      pending.map((entry) => entry.call),
      {
        ...batchOptions,
        tools: batchTools(
          pending.map((entry) => entry.call.name),
          byId,
          outputs,
        ),
        signal: stepAbort.signal,
        onEvent: (event) => {
          onEvent?.(event);
          if (event.type === 'call.partial') byId.get(event.id)?.partial?.(event.value);
          // Settle a call as soon as it settles: `streamText` streams each result as it comes.
          if (event.type !== 'call.settled') return;
          if (event.status === 'succeeded') succeed(byId.get(event.id));
          else if (event.failure !== undefined) fail(byId.get(event.id), failureError(event.failure));
        },
      },
    );
    results.forEach((result, index) => {
      const entry = pending[index];
      if ('ok' in result && !result.ok) fail(entry, failureError(result.failure));
      else succeed(entry);
    });
  } catch (error) {
    if (ToolBatchError.isInstance(error)) {
      for (const failure of error.failures) fail(pending[failure.index], failureError(failure));
      error.outputs.forEach((output, index) => {
        if (output !== undefined) succeed(pending[index]);
      });
    }
    // What is left never ran (failFast), or the whole step failed: a cancel or a bad option.
    for (const entry of open) fail(entry, ToolBatchError.isInstance(error) ? notStartedError(entry.call.name) : error);
  } finally {
    stepAbort.dispose();
  }
}

/**
 * The signal that cancels the step's batch: the SDK's signal when every call
 * shares it (`generateText`'s `abortSignal`). With per-call signals (a major-7
 * per-tool timeout gives each call its own) the batch is cancelled only once
 * all of them have aborted; one call's own signal reaches that call's tool only.
 */
function stepSignal(signals: ReadonlyArray<AbortSignal | undefined>): { signal: AbortSignal | undefined; dispose(): void } {
  const distinct = [...new Set(signals)];
  if (distinct.length === 0 || distinct.includes(undefined)) return { signal: undefined, dispose: () => {} };
  const defined = distinct as AbortSignal[];
  if (defined.length === 1) return { signal: defined[0], dispose: () => {} };

  const controller = new AbortController();
  const onAbort = (): void => {
    if (defined.every((signal) => signal.aborted)) controller.abort(defined.find((signal) => signal.aborted)?.reason);
  };
  for (const signal of defined) signal.addEventListener('abort', onAbort);
  onAbort();
  return {
    signal: controller.signal,
    dispose: () => {
      for (const signal of defined) signal.removeEventListener('abort', onAbort);
    },
  };
}
