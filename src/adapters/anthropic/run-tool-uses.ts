/**
 * The one-call helper: run a Messages API response's tool calls as one batch
 * and get back the user message that answers them.
 */
import { runToolBatch, ToolBatchError, type RunToolBatchOptions } from '../../index.js';
import type { AnthropicMessageLike, AnthropicToolResultMessage } from './anthropic-shapes.js';
import { toToolResultMessage } from './tool-result-message.js';
import { fromToolUseBlocks } from './tool-use-blocks.js';

/**
 * Runs an assistant message's `tool_use` blocks concurrently as one batch and
 * returns the user message of `tool_result` blocks, in block order.
 *
 * Every `tool_use` block gets its `tool_result`, under every policy, since
 * the API refuses a conversation with one left unanswered. The policy decides
 * what runs: under `failFast` (the default) the first failure aborts the
 * running calls and starts no queued one; under `joinAll` and `settleAll`
 * every call runs. The failed batch is reported as Anthropic's own tool
 * runner reports a tool error, to the model: each failed call is an
 * `is_error` block with `{"error":{"kind","message"}}`, and each call failFast
 * stopped or never started is one of kind `aborted`. Aborting `signal`
 * rejects with `signal.reason` (the conversation is abandoned, not answered).
 *
 * @param message - the assistant message: the SDK's `Message` as `messages.create` returns it.
 * @param options - `tools` or `router`, plus the batch options (`concurrency`, `policy`, `timeoutMs`,
 *   `perToolConcurrency`, `signal`, `onEvent`, …).
 * @returns the user message to append, one `tool_result` per `tool_use` block, or `null` when the message has no
 *   `tool_use` block (the turn is over).
 * @throws `signal.reason` when aborted; `TypeError` for bad options.
 * @example
 * ```ts
 * const reply = await runToolUses(response, { tools: [weather], concurrency: 4, policy: 'settleAll' });
 * if (reply === null) return response;
 * messages.push({ role: 'assistant', content: response.content }, reply);
 * ```
 */
export async function runToolUses(
  message: AnthropicMessageLike,
  options: RunToolBatchOptions,
): Promise<AnthropicToolResultMessage | null> {
  const calls = fromToolUseBlocks(message);
  if (calls.length === 0) return null;
  try {
    return toToolResultMessage(message, await runToolBatch(calls, options));
  } catch (error) {
    // A failed batch (failFast, joinAll) still answers every block: its failures, and `aborted` for the rest.
    if (ToolBatchError.isInstance(error)) return toToolResultMessage(message, error);
    throw error;
  }
}
