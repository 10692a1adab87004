/**
 * A `ChatModel` over any OpenAI-compatible chat-completions server, through
 * the official `openai` client.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import type { AssistantMessage, ChatToolCall } from '../../core/chat-format.js';
import type { ChatModel } from '../../models/chat-model.js';

/** Options of `createOpenAIModel`. */
export interface OpenAIModelOptions {
  /** The model name the server knows, such as `gpt-4o-mini`. */
  model: string;
  /** The server's base URL. Default: `OPENAI_BASE_URL`, else the client's default (api.openai.com). */
  baseURL?: string;
  /** The API key. Default: `OPENAI_API_KEY` (the client throws when neither is set). */
  apiKey?: string;
  /** Sent as `parallel_tool_calls` whenever tools are offered. Default: `true`. */
  parallelToolCalls?: boolean;
  /** How often the client retries a failed request. Default: the client's (2). */
  maxRetries?: number;
}

function toChatToolCall(toolCall: ChatCompletionMessageToolCall): ChatToolCall {
  if (toolCall.type !== 'function') {
    throw new TypeError(`Expected function tool calls only, got a "${toolCall.type}" tool call (id ${toolCall.id})`);
  }
  return { id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: toolCall.function.arguments } };
}

/**
 * Creates a model that calls an OpenAI-compatible server.
 *
 * Each step sends the conversation, the tools' JSON Schemas (`tools`) and
 * `parallel_tool_calls`, and passes the step's `signal` to the request. The
 * answer's `tool_calls` keep their argument strings; the agent parses them.
 *
 * @param options - `model`, and optionally `baseURL`, `apiKey`, `parallelToolCalls`, `maxRetries`.
 * @returns a `ChatModel` named `openai:<model>`.
 * @example
 * ```ts
 * const model = createOpenAIModel({ model: 'gpt-4o-mini' }); // OPENAI_API_KEY from the environment
 * const output = await runAgent({ model, tools: [weather], messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
 * ```
 */
export function createOpenAIModel(options: OpenAIModelOptions): ChatModel {
  if (typeof options?.model !== 'string' || options.model === '') {
    throw new TypeError(`Expected \`model\` to be a non-empty string, got ${JSON.stringify(options?.model)}`);
  }
  const { model, parallelToolCalls = true } = options;
  const client = new OpenAI({
    baseURL: options.baseURL ?? process.env.OPENAI_BASE_URL,
    apiKey: options.apiKey ?? process.env.OPENAI_API_KEY,
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
  return {
    name: `openai:${model}`,
    complete: async ({ messages, tools, signal }) => {
      const completion = await client.chat.completions.create(
        {
          model,
          messages,
          // An empty tools list, or parallel_tool_calls without tools, is a 400 on OpenAI.
          ...(tools.length > 0 ? { tools, parallel_tool_calls: parallelToolCalls } : {}),
        },
        { signal },
      );
      const choice = completion.choices[0];
      if (choice === undefined) throw new Error(`The model ${model} answered with no choices`);
      const toolCalls = choice.message.tool_calls?.map(toChatToolCall);
      const message: AssistantMessage = {
        role: 'assistant',
        content: choice.message.content,
        ...(toolCalls !== undefined && toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      };
      const { usage } = completion;
      return usage ? { message, usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } } : { message };
    },
  };
}
