/**
 * The OpenAI chat-completions message format, and conversions between an
 * assistant message's `tool_calls` and the batch's `ToolCall`s and outputs.
 *
 * The types are structural subsets of the `openai` package's
 * `ChatCompletionMessageParam`, so a `ChatMessage[]` can be sent with the
 * official client as is (src/models/openai-model.ts does, without a cast).
 * Pure data: no I/O, so the agent loop machine may use it.
 */
import { describeError } from './describe.js';
import { hasMarker } from './marker.js';
import { readToolCall } from './model-turn.js';
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
    return hasMarker(value, unparsedMarker);
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
    return new UnparsedArguments(raw, describeError(error));
  }
}

/**
 * Converts an assistant message's `tool_calls` to the batch's `ToolCall`s, in order.
 *
 * Each argument string is parsed with `JSON.parse`. An empty (or blank)
 * string means no arguments and becomes `{}`. A string that is not JSON
 * becomes an `UnparsedArguments`, which the tool router fails with kind
 * `invalidArguments` when the call runs: never `null`, never a thrown error.
 * A call the model sent malformed (no `function`, a `function.name` that is
 * not a string, a `function.arguments` that is not a string) gets an
 * `InvalidToolCall` as its arguments, which the router fails with
 * `invalidArguments` naming the field: that call alone fails.
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
  return toolCalls.map((toolCall) => {
    const read = readToolCall(toolCall);
    // A bad `id` is left for `runToolBatch` (or the turn check) to report: no message could answer the call.
    const id = read.id as string;
    if ('invalid' in read) return { id, name: read.name, arguments: read.invalid };
    return { id, name: read.name, arguments: parseArguments(read.rawArguments) };
  });
}

/** What `toToolMessages` accepts per call: an output, a settled result, or nothing (the call has no reply). */
export type ToolCallOutcome = ToolOutput | SettledResult | undefined;

function replyContent(outcome: ToolOutput | SettledResult): string {
  if ('ok' in outcome && !outcome.ok) {
    const { kind, message } = outcome.failure;
    return JSON.stringify({ error: { kind, message } });
  }
  const result = 'ok' in outcome ? outcome.output.result : outcome.result;
  try {
    return JSON.stringify(result);
  } catch (error) {
    // The result passed the JSON check when the call settled; a `toJSON` or getter that throws now
    // (it changed its mind) must not crash the step: the model reads why instead.
    const message = `the tool's result is not JSON: reading it threw: ${describeError(error)}`;
    return JSON.stringify({ error: { kind: 'invalidResult', message } });
  }
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
