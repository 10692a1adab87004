/**
 * From a batch's outcome to the user message of `tool_result` blocks that
 * answers an Anthropic assistant turn.
 *
 * Anthropic rejects a conversation in which a `tool_use` block has no
 * `tool_result` in the next message, so every block gets exactly one reply,
 * in block order: a success, a failure (`is_error: true`), or, for a call
 * that has no outcome, an `aborted` failure.
 */
import { ToolBatchError, type SettledResult, type ToolFailure, type ToolOutput } from '../../index.js';
import type { AnthropicMessageLike, AnthropicToolResultBlock, AnthropicToolResultMessage } from './anthropic-shapes.js';
import { notRunMessage } from '../../core/failure.js';
import { failureContent } from './failure-content.js';
import { toolUseBlocks } from './tool-use-blocks.js';

/**
 * What `toToolResultMessage` accepts: per call, an output, a settled result or
 * nothing (`runToolBatch`'s result, or `ToolBatchError.outputs`), or the
 * `ToolBatchError` itself, whose failures then keep their kind and message.
 *
 * @example
 * ```ts
 * const outcome: ToolResultOutcome = [{ id: 'toolu_1', result: { celsius: 12 } }, undefined];
 * ```
 */
export type ToolResultOutcome = readonly (ToolOutput | SettledResult | undefined)[] | ToolBatchError;

function success(id: string, output: ToolOutput): AnthropicToolResultBlock {
  return { type: 'tool_result', tool_use_id: id, content: JSON.stringify(output.result) };
}

function failure(id: string, { kind, message }: Pick<ToolFailure, 'kind' | 'message'>): AnthropicToolResultBlock {
  return { type: 'tool_result', tool_use_id: id, content: failureContent(kind, message), is_error: true };
}

function outcomeId(entry: ToolOutput | SettledResult): string {
  if ('ok' in entry) return entry.ok ? entry.output.id : entry.failure.id;
  return entry.id;
}

/**
 * Turns a batch's outcome into the user message that answers the assistant
 * message's `tool_use` blocks, matched by index as `runToolBatch` returns it.
 *
 * A success's `content` is `JSON.stringify(result)`. A failure (a failed
 * `settleAll` slot, or a failure of a `ToolBatchError`) is
 * `{"error":{"kind","message"}}` with `is_error: true`. A call with no
 * outcome (a gap in `ToolBatchError.outputs`, a call failFast never started)
 * gets an `aborted` failure, so the conversation stays valid.
 *
 * @param message - the assistant message whose `tool_use` blocks were run.
 * @param outcome - `ToolOutput[]`, `SettledResult[]`, outputs with gaps, or a `ToolBatchError`.
 * @returns `{ role: 'user', content: [tool_result, …] }`, one block per `tool_use` block, in order.
 * @throws `TypeError` when an outcome belongs to another call (its id differs) or there are more outcomes than calls.
 * @example
 * ```ts
 * const outputs = await runToolBatch(fromToolUseBlocks(response), { tools });
 * messages.push({ role: 'assistant', content: response.content }, toToolResultMessage(response, outputs));
 * ```
 */
export function toToolResultMessage(message: AnthropicMessageLike, outcome: ToolResultOutcome): AnthropicToolResultMessage {
  const blocks = toolUseBlocks(message);
  const isError = ToolBatchError.isInstance(outcome);
  const entries = isError ? outcome.outputs : outcome;
  if (!Array.isArray(entries)) {
    throw new TypeError('Expected `outcome` to be an array of outputs or settled results, or a ToolBatchError');
  }
  if (entries.length > blocks.length) {
    throw new TypeError(`Expected at most ${blocks.length} outcome(s), one per tool_use block, got ${entries.length}`);
  }
  const failures = new Map<number, ToolFailure>(isError ? outcome.failures.map((f) => [f.index, f]) : []);
  const content = blocks.map(({ id }, index): AnthropicToolResultBlock => {
    const entry = entries[index] as ToolOutput | SettledResult | undefined;
    if (entry === undefined) {
      const failed = failures.get(index);
      if (failed !== undefined && failed.id !== id) {
        throw new TypeError(`Expected the failure at index ${index} to be for tool_use "${id}", got one for "${failed.id}"`);
      }
      return failure(id, failed ?? { kind: 'aborted', message: notRunMessage });
    }
    const entryId = outcomeId(entry);
    if (entryId !== id) {
      throw new TypeError(`Expected the outcome at index ${index} to be for tool_use "${id}", got one for "${entryId}"`);
    }
    if (!('ok' in entry)) return success(id, entry);
    return entry.ok ? success(id, entry.output) : failure(id, entry.failure);
  });
  return { role: 'user', content };
}
