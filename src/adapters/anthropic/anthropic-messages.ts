/**
 * Between the OpenAI chat format the agent loop speaks and Anthropic's
 * Messages API: the conversation going out, the assistant turn coming back.
 */
import type { AssistantMessage, ChatMessage, ChatToolCall } from '../../index.js';
import type {
  AnthropicMessageLike,
  AnthropicMessageParam,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from './anthropic-shapes.js';
import { isFailureContent } from './failure-content.js';
import { toolUseBlocks } from './tool-use-blocks.js';

/**
 * A conversation in Anthropic's shape: the system prompt apart from the messages.
 *
 * @example
 * ```ts
 * const conversation: AnthropicConversation = { system: 'Be terse.', messages: [{ role: 'user', content: 'Hi' }] };
 * ```
 */
export interface AnthropicConversation {
  /** The system messages' contents joined by a blank line; absent when there are none. */
  system?: string;
  messages: AnthropicMessageParam[];
}

function toolUseInput(toolCall: ChatToolCall): unknown {
  const raw = toolCall.function.arguments;
  // Some models send "" for a function without parameters: that means no arguments.
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(
      `Expected the arguments of tool call "${toolCall.id}" (${toolCall.function.name}) to be JSON, as Anthropic needs an input object: ${reason}`,
    );
  }
}

function assistantParam(message: AssistantMessage): AnthropicMessageParam {
  const text = message.content ?? '';
  if (message.tool_calls === undefined || message.tool_calls.length === 0) return { role: 'assistant', content: text };
  const content: Array<AnthropicTextBlock | AnthropicToolUseBlock> = [];
  // Anthropic rejects an empty text block, so a turn of calls alone has none.
  if (text !== '') content.push({ type: 'text', text });
  for (const toolCall of message.tool_calls) {
    content.push({ type: 'tool_use', id: toolCall.id, name: toolCall.function.name, input: toolUseInput(toolCall) });
  }
  return { role: 'assistant', content };
}

/**
 * Converts a chat-format conversation to Anthropic's.
 *
 * - `system` messages go to the separate system prompt (joined by a blank line, wherever they stand).
 * - `user` messages keep their text.
 * - An `assistant` message with `tool_calls` becomes a text block (when it has text) and one
 *   `tool_use` block per call, whose `input` is the parsed argument string.
 * - Consecutive `tool` messages merge into one user message of `tool_result` blocks, in order; a
 *   content that is exactly a failure's `{"error":{"kind","message"}}` is sent with `is_error: true`.
 *
 * @param messages - the conversation, as `runAgent` keeps it.
 * @returns `{ system?, messages }`.
 * @throws `TypeError` for an unknown role, or tool call arguments that are not JSON.
 * @example
 * ```ts
 * toAnthropicMessages([{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Hi' }]);
 * // { system: 'Be terse.', messages: [{ role: 'user', content: 'Hi' }] }
 * ```
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): AnthropicConversation {
  const system: string[] = [];
  const out: AnthropicMessageParam[] = [];
  let results: AnthropicToolResultBlock[] | undefined;
  for (const message of messages) {
    if (message.role === 'tool') {
      if (results === undefined) {
        results = [];
        out.push({ role: 'user', content: results });
      }
      results.push({
        type: 'tool_result',
        tool_use_id: message.tool_call_id,
        content: message.content,
        ...(isFailureContent(message.content) ? { is_error: true } : {}),
      });
      continue;
    }
    results = undefined;
    if (message.role === 'system') system.push(message.content);
    else if (message.role === 'user') out.push({ role: 'user', content: message.content });
    else if (message.role === 'assistant') out.push(assistantParam(message));
    else throw new TypeError(`Expected a message role of system, user, assistant or tool, got ${JSON.stringify((message as { role?: unknown }).role)}`);
  }
  return system.length > 0 ? { system: system.join('\n\n'), messages: out } : { messages: out };
}

/**
 * Converts an Anthropic assistant message (a Messages API response) to the
 * chat format: the text blocks, concatenated, become `content` (`null` when
 * there is none), and the `tool_use` blocks become `tool_calls` in block
 * order, with `JSON.stringify(input)` as `arguments`. Other blocks are skipped.
 *
 * @param message - the SDK's `Message`.
 * @returns an `AssistantMessage`, with `tool_calls` only when there are some.
 * @example
 * ```ts
 * toAssistantMessage({ content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }] });
 * // { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] }
 * ```
 */
export function toAssistantMessage(message: AnthropicMessageLike): AssistantMessage {
  const toolCalls: ChatToolCall[] = toolUseBlocks(message).map(({ id, name, input }) => ({
    id,
    type: 'function',
    function: { name, arguments: JSON.stringify(input ?? {}) },
  }));
  const { content } = message;
  const texts =
    typeof content === 'string'
      ? [content]
      : content.flatMap((block) => (block.type === 'text' && typeof (block as AnthropicTextBlock).text === 'string' ? [(block as AnthropicTextBlock).text] : []));
  return {
    role: 'assistant',
    content: texts.length > 0 ? texts.join('') : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}
