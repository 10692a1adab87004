/**
 * A model that needs no network: it replays a script of assistant turns, or
 * decides each turn with a deterministic function of the conversation. The
 * demo's embedded default, and the tests' model.
 */
import type { AssistantMessage, ChatMessage } from '../core/chat-format.js';
import { showValue } from '../core/options.js';
import type { ChatModel } from './chat-model.js';

/** A script: the assistant turns in order, or a rule that picks the turn for a conversation. */
export type ModelScript = readonly AssistantMessage[] | ((messages: ChatMessage[], step: number) => AssistantMessage);

/** Options of `createScriptedModel`. */
export interface ScriptedModelOptions {
  /** The model's name. Default: `'scripted'`. */
  name?: string;
}

/**
 * Creates a scripted model.
 *
 * The turn is chosen from the conversation, not from a counter, so one model
 * can serve any number of runs: a request whose messages hold `k` assistant
 * messages gets `script[k]` (or `script(messages, k + 1)`; `step` counts from
 * 1). It rejects when the script has no turn `k`, and with `signal.reason`
 * when the signal is aborted. Each turn is returned as a copy, so the script
 * is never shared with a conversation. Usage is not reported.
 *
 * @param script - the assistant turns, or `(messages, step) => AssistantMessage`.
 * @param options - `name`. Default: `'scripted'`.
 * @returns a `ChatModel`.
 * @example
 * ```ts
 * const model = createScriptedModel([
 *   { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":1,"b":2}' } }] },
 *   { role: 'assistant', content: '1 + 2 = 3' },
 * ]);
 * ```
 */
export function createScriptedModel(script: ModelScript, options: ScriptedModelOptions = {}): ChatModel {
  if (typeof script !== 'function' && !Array.isArray(script)) {
    throw new TypeError(`Expected \`script\` to be an array of assistant messages or a function, got ${showValue(script)}`);
  }
  return {
    name: options.name ?? 'scripted',
    complete: async ({ messages, signal }) => {
      signal.throwIfAborted();
      const turn = messages.filter((message) => message.role === 'assistant').length;
      let message: AssistantMessage | undefined;
      if (typeof script === 'function') {
        message = script(messages, turn + 1);
      } else {
        message = script[turn];
        if (message === undefined) {
          throw new Error(`The scripted model has no turn ${turn + 1}: its script has ${script.length}`);
        }
      }
      if (typeof message !== 'object' || message === null || message.role !== 'assistant') {
        throw new TypeError(`Expected the script's turn ${turn + 1} to be an assistant message, got ${showValue(message)}`);
      }
      return { message: structuredClone(message) };
    },
  };
}
