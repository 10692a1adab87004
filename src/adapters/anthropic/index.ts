/**
 * `xstate-parallel-tools/anthropic`: run the `tool_use` blocks of an
 * Anthropic Messages API response as one concurrent batch, and use Claude as
 * the model of `runAgent`. `@anthropic-ai/sdk` is an optional peer
 * dependency, referred to by type only.
 */
export { fromToolUseBlocks } from './tool-use-blocks.js';
export { toToolResultMessage } from './tool-result-message.js';
export type { ToolResultOutcome } from './tool-result-message.js';
export { toAnthropicTools } from './anthropic-tools.js';
export { runToolUses } from './run-tool-uses.js';
export { toAnthropicMessages, toAssistantMessage } from './anthropic-messages.js';
export type { AnthropicConversation, AnthropicAssistantMessage } from './anthropic-messages.js';
export { createAnthropicModel } from './anthropic-model.js';
export type { AnthropicModelOptions, AnthropicMessagesClient, AnthropicRequestParams } from './anthropic-model.js';
export type {
  AnthropicToolUseBlock,
  AnthropicTextBlock,
  AnthropicThinkingBlock,
  AnthropicRedactedThinkingBlock,
  AnthropicAssistantBlock,
  AnthropicContentBlockLike,
  AnthropicMessageLike,
  AnthropicToolResultBlock,
  AnthropicToolResultMessage,
  AnthropicMessageParam,
  AnthropicTool,
} from './anthropic-shapes.js';
