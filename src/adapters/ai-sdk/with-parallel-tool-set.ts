/**
 * `withParallelToolSet`: an AI SDK tool set whose calls of one step run as
 * one batch inside the SDK's own loop (`generateText` / `streamText` with `stopWhen`).
 */
import type { BatchOptions, ToolBatchEmitted } from '../../index.js';
import type { AiSdkToolExecutionOptions } from './ai-sdk-shapes.js';
import { createStepCollector } from './step-collector.js';
import { batchTools, runStepBatch, type PendingCall } from './step-batch.js';
import { asyncIteratorMethod } from '../../core/async-iterable.js';

/**
 * Options of `withParallelToolSet`: the batch options and a progress hook.
 *
 * @example
 * ```ts
 * const options: ParallelToolSetOptions = { concurrency: 4, perToolConcurrency: { search: 1 }, policy: 'failFast', timeoutMs: 10_000 };
 * ```
 */
export interface ParallelToolSetOptions extends BatchOptions {
  /** Receives every progress event of each step's batch. Default: none. */
  onEvent?: (event: ToolBatchEmitted) => void;
}

type SdkExecute = (input: unknown, options: AiSdkToolExecutionOptions) => unknown;

/**
 * Wraps an AI SDK tool set so that the calls of one step run as one batch:
 * with `concurrency`, `perToolConcurrency` (keyed by the set's tool names),
 * `timeoutMs` and the join `policy`, each call receiving an `abortSignal`
 * that fires on our timeout or fail-fast and on the SDK's own abort, and the
 * SDK's `abortSignal` cancelling the batch.
 *
 * Every call still gets its own answer, as the SDK expects: a result, or a
 * thrown `ToolCallError` (with the failure's `kind`) that the SDK sends to
 * the model as an error. The policy decides what runs: `failFast` aborts the
 * running siblings and starts no queued call (those fail with kind `aborted`);
 * `joinAll` and `settleAll` run every call. Tools without `execute` are left
 * as they are. A tool that streams (its `execute` returns an async iterable)
 * streams through the batch: each value is a `call.partial` event, checked as
 * JSON, and the last one is its output. When its `execute` is an async
 * generator function, the wrapped one is too, and yields each partial as the
 * batch reports it, then the output: the SDK's preliminary tool results.
 * Leave the SDK's own `toolCallConcurrency` unset: it hands calls over a few
 * at a time, and each few would make its own batch.
 *
 * @param tools - the SDK tool set (`{ name: tool({ inputSchema, execute }) }`), either SDK major.
 * @param options - batch options and `onEvent`.
 * @returns a tool set of the same type, to pass as `tools`.
 * @throws `TypeError` for a tool set that is not an object, a tool name the batch
 *   cannot use (`^[a-zA-Z0-9_-]{1,64}$`).
 * @example
 * ```ts
 * const result = await generateText({
 *   model,
 *   tools: withParallelToolSet({ weather }, { concurrency: 2, policy: 'settleAll', timeoutMs: 5_000 }),
 *   stopWhen: stepCountIs(5),
 *   prompt: 'Weather in Oslo and Lima?',
 * });
 * ```
 */
export function withParallelToolSet<TOOLS extends Record<string, object>>(tools: TOOLS, options: ParallelToolSetOptions = {}): TOOLS {
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new TypeError(`Expected \`tools\` to be an AI SDK tool set (an object of tools), got \`${String(tools)}\` (${typeof tools})`);
  }

  const executables = Object.entries(tools).filter(
    (entry): entry is [string, object & { execute: SdkExecute }] => typeof (entry[1] as { execute?: unknown }).execute === 'function',
  );
  // Checks the names now, with the same tool definitions each batch makes.
  batchTools(
    executables.map(([name]) => name),
    new Map(),
    new Map(),
  );

  const collector = createStepCollector<PendingCall>((pending) => void runStepBatch(pending, options));
  const wrapped: Record<string, object> = { ...tools };
  for (const [name, tool] of executables) {
    const enqueue = (input: unknown, sdkOptions: AiSdkToolExecutionOptions, partial?: (value: unknown) => void): Promise<unknown> =>
      new Promise((resolve, reject) => {
        collector.add(sdkOptions?.messages, {
          call: { id: sdkOptions?.toolCallId ?? '', name, arguments: input },
          run: (signal) => runSdkTool(tool.execute, input, sdkOptions, signal),
          sdkSignal: sdkOptions?.abortSignal,
          ...(partial === undefined ? {} : { partial }),
          resolve,
          reject,
        });
      });
    const batched = {
      ...tool,
      execute: isAsyncGeneratorFunction(tool.execute)
        ? (input: unknown, sdkOptions: AiSdkToolExecutionOptions) => preliminaryResults((partial) => enqueue(input, sdkOptions, partial))
        : (input: unknown, sdkOptions: AiSdkToolExecutionOptions) => enqueue(input, sdkOptions),
    };
    // defineProperty: a tool named `__proto__` is a key like any other, never the prototype.
    Object.defineProperty(wrapped, name, { enumerable: true, configurable: true, writable: true, value: batched });
  }
  return wrapped as TOOLS;
}

/** Runs the SDK tool with a signal that fires on our abort and on the SDK's. */
async function runSdkTool(execute: SdkExecute, input: unknown, sdkOptions: AiSdkToolExecutionOptions, signal: AbortSignal): Promise<unknown> {
  const sdkSignal = sdkOptions?.abortSignal;
  const both = sdkSignal === undefined ? undefined : new AbortController();
  // When the SDK aborts, the batch is cancelled and aborts our signal too, maybe
  // first: the tool is told the SDK's reason, not the batch's.
  const onAbort = (): void => both?.abort(sdkSignal?.aborted ? sdkSignal.reason : signal.reason);
  if (both !== undefined) {
    if (signal.aborted || sdkSignal?.aborted) onAbort();
    signal.addEventListener('abort', onAbort);
    sdkSignal?.addEventListener('abort', onAbort);
  }
  const dispose = (): void => {
    signal.removeEventListener('abort', onAbort);
    sdkSignal?.removeEventListener('abort', onAbort);
  };
  let output: unknown;
  try {
    output = await execute(input, { ...sdkOptions, abortSignal: both?.signal ?? signal });
  } catch (error) {
    dispose();
    throw error;
  }
  if (asyncIteratorMethod(output) === undefined) {
    dispose();
    return output;
  }
  // A stream keeps both signals joined until it ends, however it ends.
  return (async function* () {
    try {
      yield* output as AsyncIterable<unknown>;
    } finally {
      dispose();
    }
  })();
}

function isAsyncGeneratorFunction(fn: unknown): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]';
}

/**
 * The SDK's preliminary tool results: yields each partial that `start`'s call
 * reports, in order, then the call's output unless it is the last partial
 * (the SDK takes the last value as the final one). The call's failure is
 * thrown, as the SDK expects.
 */
async function* preliminaryResults(start: (partial: (value: unknown) => void) => Promise<unknown>): AsyncGenerator<unknown> {
  const partials: unknown[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const done = start((value) => {
    partials.push(value);
    wake?.();
  });
  done.then(
    () => ((ended = true), wake?.()),
    () => ((ended = true), wake?.()),
  );
  let yielded = false;
  let last: unknown;
  for (;;) {
    while (partials.length > 0) {
      last = partials.shift();
      yielded = true;
      yield last;
    }
    if (ended) break;
    await new Promise<void>((resolve) => (wake = resolve));
  }
  const output = await done;
  // The output of a tool that streamed is its last partial, which the SDK already has as its final value.
  if (!yielded || !Object.is(output, last)) yield output;
}
