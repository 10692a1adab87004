/**
 * `runAiSdkToolCalls`: one AI SDK step's tool calls as one batch, answered
 * with the tool message the SDK expects next.
 */
import { settledResultsOf } from '../../core/failure.js';
import { runToolBatch, ToolBatchError, type RunToolBatchOptions, type SettledResult, type ToolCall, type ToolOutput } from '../../index.js';
import type { AiSdkJsonValue, AiSdkToolCall, AiSdkToolMessage, AiSdkToolResultOutput } from './ai-sdk-shapes.js';

/**
 * Options of `runAiSdkToolCalls`: those of `runToolBatch` (`tools` or `router`, batch options, `signal`, `onEvent`).
 *
 * @example
 * ```ts
 * const options: RunAiSdkToolCallsOptions = { tools: [weather], concurrency: 2, policy: 'settleAll', timeoutMs: 5_000 };
 * ```
 */
export type RunAiSdkToolCallsOptions = RunToolBatchOptions;

/**
 * Runs the tool calls of one `generateText` / `streamText` step (made with
 * tools that have no `execute`, e.g. from `toAiSdkTools`) as one batch, and
 * returns the tool message that answers them, in the order the model asked.
 *
 * Calls the SDK marked `invalid` are skipped: the SDK has already answered
 * them in `response.messages`. So are provider-executed calls. A result
 * becomes `{ type: 'text' }` when it is a string, else `{ type: 'json' }`,
 * as the SDK does. Every call is answered under every policy, as the SDK
 * answers a tool that threw: a failure becomes
 * `{ type: 'error-text', value: failure.message }`, also for the calls
 * `failFast` stopped or never started (kind `aborted`). The policy decides
 * what runs: `failFast` aborts the running calls at the first failure and
 * starts no queued one.
 *
 * @param toolCalls - the step's `toolCalls` (either SDK major).
 * @param options - `tools` (from `defineTool`) or `router`, and the batch options.
 * @returns `{ role: 'tool', content: [{ type: 'tool-result', toolCallId, toolName, output }] }`.
 * @throws `signal.reason` on abort; `TypeError` for bad options.
 * @example
 * ```ts
 * const step = await generateText({ model, tools: toAiSdkTools(tools), messages });
 * messages.push(...step.response.messages, await runAiSdkToolCalls(step.toolCalls, { tools, policy: 'settleAll' }));
 * ```
 */
export async function runAiSdkToolCalls(
  toolCalls: readonly AiSdkToolCall[],
  options: RunAiSdkToolCallsOptions,
): Promise<AiSdkToolMessage> {
  if (!Array.isArray(toolCalls)) throw new TypeError(`Expected \`toolCalls\` to be an array, got \`${String(toolCalls)}\` (${typeof toolCalls})`);
  const asked = toolCalls.filter((call) => call.invalid !== true && call.providerExecuted !== true);
  const calls: ToolCall[] = asked.map((call) => ({ id: call.toolCallId, name: call.toolName, arguments: call.input }));
  let results: readonly (ToolOutput | SettledResult)[];
  try {
    results = await runToolBatch(calls, options);
  } catch (error) {
    // A failed batch (failFast, joinAll) still answers every call: its failures, and `aborted` for the rest.
    if (!ToolBatchError.isInstance(error)) throw error;
    results = settledResultsOf(calls, error);
  }
  return {
    role: 'tool',
    content: asked.map((call, index) => ({
      type: 'tool-result',
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      output: toResultOutput(results[index]),
    })),
  };
}

function toResultOutput(result: ToolOutput | SettledResult | undefined): AiSdkToolResultOutput {
  if (result === undefined) throw new Error('runToolBatch returned fewer results than calls');
  if ('ok' in result && !result.ok) return { type: 'error-text', value: result.failure.message };
  const value = 'ok' in result ? result.output.result : result.result;
  // The batch has checked that a result is faithful JSON (else the call failed with invalidResult).
  return typeof value === 'string' ? { type: 'text', value } : { type: 'json', value: value as AiSdkJsonValue };
}
