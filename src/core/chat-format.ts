/**
 * The OpenAI chat-completions message format, and conversions between an
 * assistant message's `tool_calls` and the batch's `ToolCall`s and outputs.
 *
 * The types are structural subsets of the `openai` package's
 * `ChatCompletionMessageParam`, so a `ChatMessage[]` can be sent with the
 * official client as is (src/models/openai-model.ts does, without a cast).
 * Pure data: no I/O, so the agent loop machine may use it.
 */
import type { SettledResult, ToolCall, ToolOutput } from './schemas.js';

/** One function call in an assistant message, as OpenAI sends it: `arguments` is a JSON string. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A system message. */
export interface SystemMessage {
  role: 'system';
  content: string;
}

/** A user message. */
export interface UserMessage {
  role: 'user';
  content: string;
}

/** An assistant message: text, tool calls, or both. */
export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ChatToolCall[];
}

/** A tool's reply to one call, matched to it by `tool_call_id`. */
export interface ToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/**
 * A chat-completions message, assignable to the `openai` client's `ChatCompletionMessageParam`.
 *
 * @example
 * ```ts
 * const messages: ChatMessage[] = [
 *   { role: 'system', content: 'You are terse.' },
 *   { role: 'user', content: 'What is 1 + 2?' },
 * ];
 * ```
 */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** An OpenAI chat-completions function tool spec: what a model is told about one tool. */
export interface FunctionToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

const unparsedMarker = Symbol.for('xstate-parallel-tools.UnparsedArguments');

/**
 * Stands in for a call's arguments when the model's argument string is not
 * JSON. The tool router fails such a call with `invalidArguments`, so one bad
 * call never crashes the step.
 *
 * @example
 * ```ts
 * const [call] = toToolCalls([{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":' } }]);
 * UnparsedArguments.isInstance(call!.arguments); // true
 * ```
 */
export class UnparsedArguments {
  readonly [unparsedMarker] = true;
  /** The argument string as the model sent it. */
  readonly raw: string;
  /** Why it did not parse: `JSON.parse`'s message. */
  readonly reason: string;

  /**
   * @param raw - the argument string.
   * @param reason - why it is not JSON.
   */
  constructor(raw: string, reason: string) {
    this.raw = raw;
    this.reason = reason;
  }

  /** True for any `UnparsedArguments`, from any copy of this package. */
  static isInstance(value: unknown): value is UnparsedArguments {
    return typeof value === 'object' && value !== null && unparsedMarker in value;
  }

  /** Shown in logs and snapshots as the raw string. */
  toJSON(): { unparsedArguments: string } {
    return { unparsedArguments: this.raw };
  }
}

function parseArguments(raw: string): unknown {
  // Some models send "" for a function without parameters: that means no arguments.
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    return new UnparsedArguments(raw, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Converts an assistant message's `tool_calls` to the batch's `ToolCall`s, in order.
 *
 * Each argument string is parsed with `JSON.parse`. An empty (or blank)
 * string means no arguments and becomes `{}`. A string that is not JSON
 * becomes an `UnparsedArguments`, which the tool router fails with kind
 * `invalidArguments` when the call runs: never `null`, never a thrown error.
 *
 * @param toolCalls - the assistant message's `tool_calls`.
 * @returns one `{ id, name, arguments }` per call, in `tool_calls` order.
 * @example
 * ```ts
 * toToolCalls([{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":1,"b":2}' } }]);
 * // [{ id: 'c1', name: 'add', arguments: { a: 1, b: 2 } }]
 * ```
 */
export function toToolCalls(toolCalls: readonly ChatToolCall[]): ToolCall[] {
  return toolCalls.map((toolCall) => ({
    id: toolCall.id,
    name: toolCall.function.name,
    arguments: parseArguments(toolCall.function.arguments),
  }));
}

/** What `toToolMessages` accepts per call: an output, a settled result, or nothing (the call has no reply). */
export type ToolCallOutcome = ToolOutput | SettledResult | undefined;

function replyContent(outcome: ToolOutput | SettledResult): string {
  if ('ok' in outcome) {
    if (outcome.ok) return JSON.stringify(outcome.output.result);
    const { kind, message } = outcome.failure;
    return JSON.stringify({ error: { kind, message } });
  }
  return JSON.stringify(outcome.result);
}

/**
 * Turns a batch's outcome into tool messages, in `tool_calls` order.
 *
 * The outcome is matched to the calls by index, as `runToolBatch` returns it.
 * `content` is `JSON.stringify(result)`; a failed `settleAll` slot becomes
 * `{"error":{"kind","message"}}`. An `undefined` entry (a call that failed or
 * never ran, as in `ToolBatchError.outputs`) gets no message.
 *
 * @param toolCalls - the assistant message's `tool_calls`.
 * @param outcome - per call, in the same order: `ToolOutput[]`, `SettledResult[]`, or outputs with gaps.
 * @returns `{ role: 'tool', tool_call_id, content }` per call that has an outcome.
 * @example
 * ```ts
 * toToolMessages(message.tool_calls!, await runToolBatch(toToolCalls(message.tool_calls!), { tools }));
 * // [{ role: 'tool', tool_call_id: 'c1', content: '3' }]
 * ```
 */
export function toToolMessages(toolCalls: readonly ChatToolCall[], outcome: readonly ToolCallOutcome[]): ToolMessage[] {
  const messages: ToolMessage[] = [];
  toolCalls.forEach((toolCall, index) => {
    const entry = outcome[index];
    if (entry === undefined) return;
    messages.push({ role: 'tool', tool_call_id: toolCall.id, content: replyContent(entry) });
  });
  return messages;
}
