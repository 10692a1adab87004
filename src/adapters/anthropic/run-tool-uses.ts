/**
 * The one-call helper: run a Messages API response's tool calls as one batch
 * and get back the user message that answers them.
 */
import { runToolBatch, type RunToolBatchOptions } from '../../index.js';
import type { AnthropicMessageLike, AnthropicToolResultMessage } from './anthropic-shapes.js';
import { toToolResultMessage } from './tool-result-message.js';
import { fromToolUseBlocks } from './tool-use-blocks.js';

/**
 * Runs an assistant message's `tool_use` blocks concurrently as one batch and
 * returns the user message of `tool_result` blocks, in block order.
 *
 * It behaves as `runToolBatch` does: under `settleAll` every failure becomes
 * an `is_error` block; under `failFast` and `joinAll` (the default is
 * `failFast`) a failed batch rejects with `ToolBatchError`, and
 * `toToolResultMessage(message, error)` still builds a complete reply from it.
 * Aborting `signal` rejects with `signal.reason`.
 *
 * @param message - the assistant message: the SDK's `Message` as `messages.create` returns it.
 * @param options - `tools` or `router`, plus the batch options (`concurrency`, `policy`, `timeoutMs`,
 *   `perToolConcurrency`, `signal`, `onEvent`, …).
 * @returns the user message to append, or `null` when the message has no `tool_use` block (the turn is over).
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
  return toToolResultMessage(message, await runToolBatch(calls, options));
}
