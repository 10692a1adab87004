/**
 * What a model sent: checks of an assistant turn and of each of its tool
 * calls, so that a broken model never crashes the step or the agent loop.
 *
 * The rule:
 * - a malformed *call* (no `function`, a `function.name` that is not a
 *   string, a `function.arguments` that is not a string) fails that call
 *   alone: `toToolCalls` gives it an `InvalidToolCall` as its arguments, and
 *   the tool router fails it with `invalidArguments`, naming the field;
 * - a malformed *turn* (no assistant message, `tool_calls` that is not an
 *   array, a call without a usable or unique `id`, which no tool message could
 *   answer) is the turn's problem: the agent loop ends `failed` with kind
 *   `invalidModelOutput`, and `withParallelTools` rejects with a `TypeError`.
 * Reading the turn never throws: a getter or a `Proxy` trap that throws makes
 * the turn malformed.
 */
import { describeError, showValue } from './describe.js';
import { hasMarker } from './marker.js';

const invalidMarker = Symbol.for('xstate-parallel-tools.InvalidToolCall');

/** The `name` a call gets when the model sent none that is usable; the router never looks it up. */
export const invalidToolName = '(invalid)';

/**
 * Stands in for a call's arguments when the model sent the call itself
 * malformed (see the module header). The tool router fails such a call with
 * `invalidArguments` before it looks the tool up.
 *
 * @example
 * ```ts
 * const [call] = toToolCalls([{ id: 'c1', type: 'function', function: { name: 'add', arguments: { a: 1 } } } as never]);
 * InvalidToolCall.isInstance(call!.arguments); // true
 * ```
 */
export class InvalidToolCall {
  readonly [invalidMarker] = true;
  /** The field that is wrong, from the call: `function`, `function.name` or `function.arguments`. */
  readonly field: string;
  /** What is wrong: "expected `function.arguments` to be a JSON string, got `an object` (object)". */
  readonly problem: string;

  /**
   * @param field - the field that is wrong.
   * @param problem - what is wrong with it.
   */
  constructor(field: string, problem: string) {
    this.field = field;
    this.problem = problem;
  }

  /** True for any `InvalidToolCall`, from any copy of this package. */
  static isInstance(value: unknown): value is InvalidToolCall {
    return hasMarker(value, invalidMarker);
  }

  /** Shown in logs and snapshots as the problem. */
  toJSON(): { invalidToolCall: string } {
    return { invalidToolCall: this.problem };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "`field` to be what, got `value` (type)": the tail of an "Expected …" message. */
function expected(field: string, what: string, value: unknown): string {
  return `\`${field}\` to be ${what}, got ${showValue(value)}`;
}

/**
 * The parts of one `tool_calls` entry, read without throwing.
 *
 * @param entry - one element of an assistant message's `tool_calls`.
 * @returns its `id` as sent, a usable `name`, and either the raw argument string or an `InvalidToolCall`.
 * @example
 * ```ts
 * readToolCall({ id: 'c1', type: 'function', function: { name: 'add', arguments: '{}' } });
 * // { id: 'c1', name: 'add', rawArguments: '{}' }
 * ```
 */
export function readToolCall(entry: unknown): { id: unknown; name: string; rawArguments: string } | { id: unknown; name: string; invalid: InvalidToolCall } {
  try {
    if (!isRecord(entry)) return { id: undefined, name: invalidToolName, invalid: new InvalidToolCall('', `expected the call to be an object, got ${showValue(entry)}`) };
    const { id, function: fn } = entry;
    if (!isRecord(fn)) return { id, name: invalidToolName, invalid: new InvalidToolCall('function', `expected ${expected('function', 'an object `{ name, arguments }`', fn)}`) };
    const { name, arguments: raw } = fn;
    if (typeof name !== 'string' || name === '') {
      return { id, name: invalidToolName, invalid: new InvalidToolCall('function.name', `expected ${expected('function.name', 'a non-empty string', name)}`) };
    }
    if (typeof raw !== 'string') {
      return { id, name, invalid: new InvalidToolCall('function.arguments', `expected ${expected('function.arguments', 'a JSON string', raw)}`) };
    }
    return { id, name, rawArguments: raw };
  } catch (error) {
    return { id: undefined, name: invalidToolName, invalid: new InvalidToolCall('', `reading the call threw: ${describeError(error)}`) };
  }
}

/**
 * What is wrong with an assistant turn as a whole, or `undefined` when it can
 * be answered: an object with `role: 'assistant'`, `content` a string, `null`
 * or absent, `tool_calls` an array, `null` or absent, and each call an object
 * with a non-empty string `id`, unique in the turn. Never throws.
 *
 * @param message - the assistant message.
 * @param path - how the message is named in the problem: `message`, `messages[3]`.
 * @returns "`message.tool_calls` to be an array of tool calls, got `\"x\"` (string)", to follow "expected", or `undefined`.
 * @example
 * ```ts
 * assistantTurnProblem({ role: 'assistant', content: null, tool_calls: 'x' }, 'message');
 * // '`message.tool_calls` to be an array of tool calls, got `"x"` (string)'
 * ```
 */
export function assistantTurnProblem(message: unknown, path: string): string | undefined {
  try {
    if (!isRecord(message)) return expected(path, 'an assistant message', message);
    const { role, content, tool_calls: toolCalls } = message;
    if (role !== 'assistant') return expected(`${path}.role`, "`'assistant'`", role);
    if (content !== undefined && content !== null && typeof content !== 'string') {
      return expected(`${path}.content`, 'a string or `null`', content);
    }
    if (toolCalls === undefined || toolCalls === null) return undefined;
    if (!Array.isArray(toolCalls)) return expected(`${path}.tool_calls`, 'an array of tool calls', toolCalls);
    const seen = new Set<string>();
    for (let i = 0; i < toolCalls.length; i++) {
      const entry: unknown = toolCalls[i];
      if (!isRecord(entry)) return expected(`${path}.tool_calls[${i}]`, 'a tool call `{ id, type, function }`', entry);
      const { id } = entry;
      if (typeof id !== 'string' || id === '') return expected(`${path}.tool_calls[${i}].id`, 'a non-empty string', id);
      if (seen.has(id)) return `\`${path}.tool_calls[${i}].id\` to be unique in the turn, got ${showValue(id)} twice`;
      seen.add(id);
    }
    return undefined;
  } catch (error) {
    return `\`${path}\` to be readable, but reading it threw: ${describeError(error)}`;
  }
}

/**
 * What is wrong with a model step's output (`{ message, usage? }`), or
 * `undefined` when it is a usable turn. Never throws.
 *
 * @param output - what the model actor resolved with.
 * @returns the problem, to follow "expected", or `undefined`.
 * @example
 * ```ts
 * modelOutputProblem({ message: null }); // '`message` to be an assistant message, got `null` (null)'
 * ```
 */
export function modelOutputProblem(output: unknown): string | undefined {
  try {
    if (!isRecord(output)) return expected('output', 'an object `{ message, usage? }`', output);
    const { usage } = output;
    if (usage !== undefined && !isRecord(usage)) return expected('usage', 'an object `{ promptTokens, completionTokens }`', usage);
    return assistantTurnProblem(output.message, 'message');
  } catch (error) {
    return `the output to be readable, but reading it threw: ${describeError(error)}`;
  }
}
