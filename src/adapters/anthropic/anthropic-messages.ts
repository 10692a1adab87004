/**
 * Between the OpenAI chat format the agent loop speaks and Anthropic's
 * Messages API: the conversation going out, the assistant turn coming back.
 */
import type { AssistantMessage, ChatMessage, ChatToolCall } from '../../index.js';
import type {
  AnthropicAssistantBlock,
  AnthropicMessageLike,
  AnthropicMessageParam,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
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

/**
 * An assistant message as `toAssistantMessage` returns it: the chat format,
 * plus, for a turn with thinking, every block of the turn as the API needs
 * it back. It is plain JSON, so it survives a checkpoint.
 *
 * @example
 * ```ts
 * const message: AnthropicAssistantMessage = {
 *   role: 'assistant',
 *   content: null,
 *   tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
 *   anthropic_content: [
 *     { type: 'thinking', thinking: 'Ask for the weather.', signature: 'EqQBCgIYAhIM…' },
 *     { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
 *   ],
 * };
 * ```
 */
export interface AnthropicAssistantMessage extends AssistantMessage {
  /**
   * The turn's thinking, redacted thinking, text and `tool_use` blocks, in
   * order; present only when the turn has thinking. `toAnthropicMessages`
   * sends them back as they are: with extended thinking, the API rejects a
   * turn whose `tool_use` blocks come without the thinking before them.
   */
  anthropic_content?: AnthropicAssistantBlock[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A copy of one kept block, with only the fields the API takes back, or `undefined` when it is not one. */
function keptBlock(block: unknown): AnthropicAssistantBlock | undefined {
  if (!isRecord(block)) return undefined;
  const { type } = block;
  if (type === 'thinking' && typeof block.thinking === 'string' && typeof block.signature === 'string') {
    return { type, thinking: block.thinking, signature: block.signature };
  }
  if (type === 'redacted_thinking' && typeof block.data === 'string') return { type, data: block.data };
  if (type === 'text' && typeof block.text === 'string') return { type, text: block.text };
  if (type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') return { type, id: block.id, name: block.name, input: block.input };
  return undefined;
}

/** The blocks an assistant message kept from its Anthropic turn, checked against its `tool_calls`. */
function keptBlocks(message: AssistantMessage): AnthropicAssistantBlock[] | undefined {
  const kept = (message as AnthropicAssistantMessage).anthropic_content;
  if (kept === undefined) return undefined;
  if (!Array.isArray(kept)) throw new TypeError(`Expected \`anthropic_content\` of an assistant message to be an array of content blocks, got ${typeof kept}`);
  const blocks = kept.map((block: unknown, index) => {
    const copy = keptBlock(block);
    if (copy === undefined) {
      throw new TypeError(`Expected \`anthropic_content[${index}]\` to be a thinking, redacted_thinking, text or tool_use block, got ${JSON.stringify(block)}`);
    }
    return copy;
  });
  // The tool_result blocks that follow answer `tool_calls`: the tool_use blocks sent must be those calls.
  const used = blocks.flatMap((block) => (block.type === 'tool_use' ? [block.id] : []));
  const called = (message.tool_calls ?? []).map((toolCall) => toolCall.id);
  if (used.join('\n') !== called.join('\n')) {
    throw new TypeError(`Expected the tool_use blocks of \`anthropic_content\` (${JSON.stringify(used)}) to be the message's tool_calls (${JSON.stringify(called)})`);
  }
  return blocks;
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
  const kept = keptBlocks(message);
  if (kept !== undefined) return { role: 'assistant', content: kept };
  const text = message.content ?? '';
  if (message.tool_calls === undefined || message.tool_calls.length === 0) return { role: 'assistant', content: text };
  const content: AnthropicAssistantBlock[] = [];
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
 * - An `assistant` message with `anthropic_content` (a turn with thinking, from
 *   `toAssistantMessage`) sends those blocks as they are: thinking with its signature,
 *   redacted thinking, text and `tool_use`, in order.
 * - Any other `assistant` message with `tool_calls` becomes a text block (when it has text) and one
 *   `tool_use` block per call, whose `input` is the parsed argument string.
 * - Consecutive `tool` messages merge into one user message of `tool_result` blocks, in order; a
 *   content that is exactly a failure's `{"error":{"kind","message"}}` is sent with `is_error: true`.
 *
 * @param messages - the conversation, as `runAgent` keeps it.
 * @returns `{ system?, messages }`.
 * @throws `TypeError` for an unknown role, tool call arguments that are not JSON, or an
 *   `anthropic_content` that is not content blocks or whose `tool_use` blocks are not the `tool_calls`.
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
 * order, with `JSON.stringify(input)` as `arguments`. A turn with thinking
 * (`thinking` or `redacted_thinking` blocks) also keeps its thinking, text and
 * `tool_use` blocks, in order, as `anthropic_content`, which
 * `toAnthropicMessages` sends back as the API requires. Other blocks are skipped.
 *
 * @param message - the SDK's `Message`.
 * @returns an `AnthropicAssistantMessage`, with `tool_calls` only when there are some.
 * @example
 * ```ts
 * toAssistantMessage({ content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }] });
 * // { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] }
 * ```
 */
export function toAssistantMessage(message: AnthropicMessageLike): AnthropicAssistantMessage {
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
  const blocks = typeof content === 'string' ? [] : content.flatMap((block) => keptBlock(block) ?? []);
  const thought = blocks.some((block) => block.type === 'thinking' || block.type === 'redacted_thinking');
  return {
    role: 'assistant',
    content: texts.length > 0 ? texts.join('') : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(thought ? { anthropic_content: blocks } : {}),
  };
}
