/**
 * A `ChatModel` for `runAgent` over Anthropic's Messages API, through a
 * client you create (`new Anthropic()`, or any client with the same
 * `messages.create`). The SDK is only referred to by type: nothing here loads it.
 */
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { ChatModel } from '../../index.js';
import type { AnthropicContentBlockLike, AnthropicMessageParam, AnthropicTool } from './anthropic-shapes.js';
import { toAnthropicMessages, toAssistantMessage } from './anthropic-messages.js';
import { fromFunctionToolSpecs } from './anthropic-tools.js';

/** Request fields the model sets itself, which `params` cannot. */
type OwnFields = 'model' | 'max_tokens' | 'messages' | 'system' | 'tools' | 'stream';

/**
 * The other Messages API request fields, as the installed SDK types them
 * (`tool_choice`, `thinking`, `stop_sequences`, `metadata`, …).
 *
 * @example
 * ```ts
 * const params: AnthropicRequestParams = { stop_sequences: ['END'], metadata: { user_id: 'u-1' } };
 * ```
 */
export type AnthropicRequestParams = Omit<MessageCreateParamsNonStreaming, OwnFields>;

/**
 * What the model needs of a client: `messages.create`, non-streaming, with a
 * `signal`. The SDK's `Anthropic` client fits.
 *
 * @example
 * ```ts
 * const client: AnthropicMessagesClient = new Anthropic(); // ANTHROPIC_API_KEY from the environment
 * ```
 */
export interface AnthropicMessagesClient {
  readonly messages: {
    create(
      body: AnthropicRequestParams & {
        model: string;
        max_tokens: number;
        messages: AnthropicMessageParam[];
        system?: string;
        tools?: AnthropicTool[];
      },
      options: { signal: AbortSignal },
    ): PromiseLike<{
      content: readonly AnthropicContentBlockLike[];
      usage?: {
        input_tokens: number;
        output_tokens: number;
        cache_creation_input_tokens?: number | null;
        cache_read_input_tokens?: number | null;
      } | null;
    }>;
  };
}

/**
 * Options of `createAnthropicModel`.
 *
 * @example
 * ```ts
 * const options: AnthropicModelOptions = { client: new Anthropic(), model: 'claude-sonnet-4-6', maxTokens: 1024, parallelToolCalls: false };
 * ```
 */
export interface AnthropicModelOptions {
  /** The client to send requests with, such as `new Anthropic({ apiKey })`. */
  client: AnthropicMessagesClient;
  /** The model name, such as `claude-sonnet-4-6`. */
  model: string;
  /** `max_tokens` of every request: the most tokens one answer may have. */
  maxTokens: number;
  /**
   * Whether the model may ask for several tools in one turn. `false` sends
   * `tool_choice: { type: 'auto', disable_parallel_tool_use: true }` whenever tools are offered.
   * Default: `true` (nothing is sent: parallel tool use is Anthropic's default).
   */
  parallelToolCalls?: boolean;
  /** Other request fields, sent on every step; a `tool_choice` here wins over `parallelToolCalls`. Default: none. */
  params?: AnthropicRequestParams;
}

function describe(value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : type;
  return `\`${shown}\` (${type})`;
}

function checkOptions(options: AnthropicModelOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object with \`client\`, \`model\` and \`maxTokens\`, got ${describe(options)}`);
  }
  const { client, model, maxTokens } = options;
  if (typeof client?.messages?.create !== 'function') {
    throw new TypeError(`Expected \`client\` to be an Anthropic client with \`messages.create\`, got ${describe(client)}`);
  }
  if (typeof model !== 'string' || model === '') {
    throw new TypeError(`Expected \`model\` to be a non-empty string, got ${describe(model)}`);
  }
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new TypeError(`Expected \`maxTokens\` to be an integer from 1 and up, got ${describe(maxTokens)}`);
  }
}

/**
 * Creates a model that calls Anthropic's Messages API (non-streaming).
 *
 * Each step converts the conversation (`toAnthropicMessages`: the system
 * prompt apart, consecutive tool messages as one user message of
 * `tool_result` blocks), sends the tools in Anthropic's shape, and passes the
 * step's `signal` to the request, so cancelling the agent aborts it. The
 * answer's text becomes `content` and its `tool_use` blocks `tool_calls`
 * (`toAssistantMessage`). Usage maps to `promptTokens` (input tokens,
 * cache reads and writes included) and `completionTokens` (output tokens).
 *
 * @param options - `client`, `model`, `maxTokens`, and optionally `parallelToolCalls` and `params`.
 * @returns a `ChatModel` named `anthropic:<model>`.
 * @throws `TypeError` for a missing client, model name or `maxTokens`.
 * @example
 * ```ts
 * const model = createAnthropicModel({ client: new Anthropic(), model: 'claude-sonnet-4-6', maxTokens: 1024 });
 * const output = await runAgent({ model, tools: [weather], messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
 * ```
 */
export function createAnthropicModel(options: AnthropicModelOptions): ChatModel {
  checkOptions(options);
  const { client, model, maxTokens, parallelToolCalls = true, params } = options;
  return {
    name: `anthropic:${model}`,
    complete: async ({ messages, tools, signal }) => {
      const conversation = toAnthropicMessages(messages);
      const offered = tools.length > 0;
      const response = await client.messages.create(
        {
          ...(offered && !parallelToolCalls ? { tool_choice: { type: 'auto', disable_parallel_tool_use: true } } : {}),
          ...params,
          model,
          max_tokens: maxTokens,
          ...conversation,
          // An empty tools list is left out: some models reject `tools: []`.
          ...(offered ? { tools: fromFunctionToolSpecs(tools) } : {}),
        },
        { signal },
      );
      const message = toAssistantMessage(response);
      const { usage } = response;
      if (!usage) return { message };
      const promptTokens = usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
      return { message, usage: { promptTokens, completionTokens: usage.output_tokens } };
    },
  };
}
