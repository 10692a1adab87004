/**
 * The Anthropic Messages API shapes this adapter reads and writes.
 *
 * They are structural subsets of `@anthropic-ai/sdk`'s types: what the
 * adapter returns can be sent with the official client as is, and the
 * client's `Message` (or a `BetaMessage`, or a `MessageParam` from your own
 * history) can be passed in. Nothing here loads the SDK.
 */

/**
 * A `tool_use` content block: the model asks for one call of a client tool.
 *
 * @example
 * ```ts
 * const block: AnthropicToolUseBlock = { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } };
 * ```
 */
export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  /** The call's arguments, already parsed by the API (an object). */
  input: unknown;
}

/**
 * A `text` content block.
 *
 * @example
 * ```ts
 * const block: AnthropicTextBlock = { type: 'text', text: 'Checking the weather.' };
 * ```
 */
export interface AnthropicTextBlock {
  type: 'text';
  text: string;
}

/**
 * A `thinking` content block (extended thinking). The API needs it back,
 * unchanged and with its `signature`, ahead of the `tool_use` blocks of its turn.
 *
 * @example
 * ```ts
 * const block: AnthropicThinkingBlock = { type: 'thinking', thinking: 'Two cities: ask for both.', signature: 'EqQBCgIYAhIM…' };
 * ```
 */
export interface AnthropicThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

/**
 * A `redacted_thinking` content block: thinking the API encrypted. It goes back as it came.
 *
 * @example
 * ```ts
 * const block: AnthropicRedactedThinkingBlock = { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix…' };
 * ```
 */
export interface AnthropicRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

/**
 * A content block of an assistant turn that the API needs back in the next
 * request: thinking, redacted thinking, text and `tool_use`.
 *
 * @example
 * ```ts
 * const blocks: AnthropicAssistantBlock[] = [
 *   { type: 'thinking', thinking: 'Ask for the weather.', signature: 'EqQBCgIYAhIM…' },
 *   { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } },
 * ];
 * ```
 */
export type AnthropicAssistantBlock = AnthropicThinkingBlock | AnthropicRedactedThinkingBlock | AnthropicTextBlock | AnthropicToolUseBlock;

/**
 * Any content block. The adapter reads `text`, `tool_use`, `thinking` and
 * `redacted_thinking` blocks and skips the others (server tool use, …).
 *
 * @example
 * ```ts
 * const blocks: AnthropicContentBlockLike[] = [{ type: 'text', text: 'Hi' }, { type: 'redacted_thinking', data: 'EmwK…' }];
 * ```
 */
export type AnthropicContentBlockLike = AnthropicAssistantBlock | { type: string };

/**
 * An Anthropic message as the adapter reads it: the SDK's `Message` (a Messages
 * API response) or an assistant `MessageParam` both fit.
 *
 * @example
 * ```ts
 * const message: AnthropicMessageLike = {
 *   content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }],
 * };
 * ```
 */
export interface AnthropicMessageLike {
  readonly content: string | readonly AnthropicContentBlockLike[];
}

/**
 * A `tool_result` content block: the reply to one `tool_use` block, matched by `tool_use_id`.
 *
 * @example
 * ```ts
 * const failed: AnthropicToolResultBlock = {
 *   type: 'tool_result',
 *   tool_use_id: 'toolu_2',
 *   content: '{"error":{"kind":"timeout","message":"timed out"}}',
 *   is_error: true,
 * };
 * ```
 */
export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  /** The JSON of the result, or `{"error":{"kind","message"}}` for a failure. */
  content: string;
  /** Set (to `true`) only when the call failed. */
  is_error?: boolean;
}

/**
 * The user message that answers an assistant turn's `tool_use` blocks: one
 * `tool_result` block per call, in the order of the calls.
 *
 * @example
 * ```ts
 * const reply: AnthropicToolResultMessage = {
 *   role: 'user',
 *   content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"celsius":12}' }],
 * };
 * ```
 */
export interface AnthropicToolResultMessage {
  role: 'user';
  content: AnthropicToolResultBlock[];
}

/**
 * A message of an Anthropic conversation as the adapter writes it, assignable
 * to the SDK's `MessageParam`.
 *
 * @example
 * ```ts
 * const messages: AnthropicMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
 * ```
 */
export type AnthropicMessageParam =
  | { role: 'user'; content: string | AnthropicToolResultBlock[] }
  | { role: 'assistant'; content: string | AnthropicAssistantBlock[] };

/**
 * A client tool in Anthropic's shape, assignable to the SDK's `Tool`.
 *
 * @example
 * ```ts
 * const tool: AnthropicTool = {
 *   name: 'weather',
 *   description: 'Current temperature of a city',
 *   input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
 * };
 * ```
 */
export interface AnthropicTool {
  name: string;
  description: string;
  /** The JSON Schema of the tool's input; Anthropic requires an object schema. */
  input_schema: { type: 'object'; [key: string]: unknown };
}
