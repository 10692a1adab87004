/**
 * From an Anthropic assistant message's `tool_use` blocks to the batch's
 * `ToolCall`s.
 */
import type { ToolCall } from '../../index.js';
import type { AnthropicMessageLike, AnthropicToolUseBlock } from './anthropic-shapes.js';

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * The message's `tool_use` blocks, in block order. Checks each one's `id`
 * and `name`, so that a malformed block fails here, with its position.
 *
 * @param message - an assistant message (a `Message` or a `MessageParam`).
 * @returns its `tool_use` blocks; none for string content.
 * @throws `TypeError` when `message` has no `content`, or a `tool_use` block lacks a string `id` or `name`.
 * @example
 * ```ts
 * toolUseBlocks(response).map((block) => block.id); // ['toolu_1', 'toolu_2']
 * ```
 */
export function toolUseBlocks(message: AnthropicMessageLike): AnthropicToolUseBlock[] {
  const content: unknown = (message as { content?: unknown } | null | undefined)?.content;
  if (typeof content === 'string') return [];
  if (!Array.isArray(content)) {
    throw new TypeError(`Expected an Anthropic message with \`content\` (a string or an array of blocks), got ${describe(message)}`);
  }
  const blocks: AnthropicToolUseBlock[] = [];
  content.forEach((block: unknown, index) => {
    if (typeof block !== 'object' || block === null || (block as { type?: unknown }).type !== 'tool_use') return;
    const { id, name } = block as { id?: unknown; name?: unknown };
    if (typeof id !== 'string' || id === '' || typeof name !== 'string' || name === '') {
      throw new TypeError(`Expected the tool_use block at content[${index}] to have a non-empty string \`id\` and \`name\``);
    }
    blocks.push(block as AnthropicToolUseBlock);
  });
  return blocks;
}

/**
 * Converts an assistant message's `tool_use` blocks to the batch's
 * `ToolCall`s, in block order. Anthropic sends `input` already parsed, so it
 * becomes `arguments` as is; other blocks (text, thinking, server tools) are
 * skipped.
 *
 * @param message - an assistant message: the SDK's `Message`, or a `MessageParam` from your history.
 * @returns one `{ id, name, arguments }` per `tool_use` block, in order.
 * @throws `TypeError` for a message without `content` or a malformed `tool_use` block.
 * @example
 * ```ts
 * fromToolUseBlocks({ content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }] });
 * // [{ id: 'toolu_1', name: 'weather', arguments: { city: 'Oslo' } }]
 * ```
 */
export function fromToolUseBlocks(message: AnthropicMessageLike): ToolCall[] {
  return toolUseBlocks(message).map((block) => ({ id: block.id, name: block.name, arguments: block.input }));
}
