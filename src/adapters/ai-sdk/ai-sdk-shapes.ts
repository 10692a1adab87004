/**
 * The AI SDK shapes this adapter reads and writes, declared structurally.
 *
 * The SDK is an optional peer and its majors 6 and 7 both work: these are the
 * parts their types share, so a value of ours is assignable to either major's
 * `ToolModelMessage`, and either major's tool calls are assignable to ours.
 */

/**
 * A JSON value, as the SDK's `JSONValue` defines it.
 *
 * @example
 * ```ts
 * const value: AiSdkJsonValue = { city: 'Oslo', celsius: 12 };
 * ```
 */
export type AiSdkJsonValue = null | string | number | boolean | { [key: string]: AiSdkJsonValue | undefined } | AiSdkJsonValue[];

/**
 * One tool call of a `generateText` / `streamText` step (`result.toolCalls`).
 *
 * @example
 * ```ts
 * const call: AiSdkToolCall = { toolCallId: 'call_1', toolName: 'weather', input: { city: 'Oslo' } };
 * ```
 */
export interface AiSdkToolCall {
  /** The id the model gave the call. */
  toolCallId: string;
  /** The tool the model asked for. */
  toolName: string;
  /** The call's input, parsed from the model's JSON. */
  input: unknown;
  /** Set by the SDK when it could not parse the call; the SDK has then answered it itself. */
  invalid?: boolean;
  /** Set when the provider ran the call; nothing is left to run. */
  providerExecuted?: boolean;
}

/**
 * How one call's outcome reaches the model: the SDK's `ToolResultOutput` kinds this adapter writes.
 *
 * @example
 * ```ts
 * const output: AiSdkToolResultOutput = { type: 'error-text', value: 'the tool did not settle within 50 ms' };
 * ```
 */
export type AiSdkToolResultOutput =
  | { type: 'text'; value: string }
  | { type: 'json'; value: AiSdkJsonValue }
  | { type: 'error-text'; value: string };

/**
 * One `tool-result` part of a tool message (the SDK's `ToolResultPart`).
 *
 * @example
 * ```ts
 * const part: AiSdkToolResultPart = { type: 'tool-result', toolCallId: 'call_1', toolName: 'weather', output: { type: 'json', value: 12 } };
 * ```
 */
export interface AiSdkToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  toolName: string;
  output: AiSdkToolResultOutput;
}

/**
 * The tool message that answers a step's tool calls (the SDK's `ToolModelMessage`).
 *
 * @example
 * ```ts
 * messages.push(...step.response.messages, toolMessage);
 * ```
 */
export interface AiSdkToolMessage {
  role: 'tool';
  content: AiSdkToolResultPart[];
}

/**
 * What the SDK passes to a tool's `execute` besides the input (the fields both majors share).
 *
 * @example
 * ```ts
 * const options: AiSdkToolExecutionOptions = { toolCallId: 'call_1', messages: [] };
 * ```
 */
export interface AiSdkToolExecutionOptions {
  /** The call's id. */
  toolCallId: string;
  /** The messages sent to the model for this step (the same array for every call of the step). */
  messages: readonly unknown[];
  /** The SDK's abort signal for this call, when it has one. */
  abortSignal?: AbortSignal;
}
