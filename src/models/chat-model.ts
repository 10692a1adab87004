/**
 * The model interface the agent loop calls once per step. Providers live next
 * to it: a scripted model (the embedded default) and an OpenAI-compatible one.
 */
import type { AssistantMessage, ChatMessage, FunctionToolSpec } from '../core/chat-format.js';

/** Token counts of one model call, when the provider reports them. */
export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What a model is asked for one step. */
export interface ChatModelRequest {
  /** The conversation so far. */
  messages: ChatMessage[];
  /** The tools the model may call, as OpenAI function specs. */
  tools: FunctionToolSpec[];
  /** Aborted when the agent is cancelled while the model is working. */
  signal: AbortSignal;
}

/** What a model answers for one step. */
export interface ChatModelResponse {
  /** The assistant's turn: text, tool calls, or both. */
  message: AssistantMessage;
  usage?: ModelUsage;
}

/**
 * A chat model the agent loop can call: one assistant turn per `complete`.
 *
 * @example
 * ```ts
 * const echo: ChatModel = {
 *   name: 'echo',
 *   complete: async ({ messages }) => ({ message: { role: 'assistant', content: String(messages.length) } }),
 * };
 * ```
 */
export interface ChatModel {
  /** Shown in logs and the demo: `scripted`, `openai:gpt-4o-mini`. */
  name: string;
  /**
   * Produces the next assistant turn.
   *
   * @param request - the conversation, the tool specs and an abort signal.
   */
  complete(request: ChatModelRequest): Promise<ChatModelResponse>;
}
