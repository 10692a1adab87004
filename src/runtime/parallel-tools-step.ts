/**
 * `withParallelTools`: tower-llm's ParallelToolsLayer. It wraps one agent
 * step and runs the tool calls of the step's assistant message as one batch.
 */
import { ToolBatchError } from '../core/errors.js';
import { toToolCalls, toToolMessages, type AssistantMessage, type ChatMessage } from '../core/chat-format.js';
import { runToolBatch, type RunToolBatchOptions } from './run-tool-batch.js';

/** What one agent step returns: go on with the new messages, or stop. */
export type ChatStepResult =
  | { type: 'next'; messages: ChatMessage[]; invokedTools: string[] }
  | { type: 'done'; messages: ChatMessage[] };

/** One agent step: usually a model call that appends the assistant's turn. */
export type ChatStep = (messages: ChatMessage[]) => Promise<ChatStepResult>;

/** Options of `withParallelTools`: those of `runToolBatch` (tools or router, batch options, hooks). */
export type ParallelToolsOptions = RunToolBatchOptions;

function lastAssistant(messages: readonly ChatMessage[]): AssistantMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]!;
    if (message.role === 'assistant') return message;
  }
  return undefined;
}

/**
 * Wraps a step so that the tool calls of its last assistant message run as one batch.
 *
 * On `next`, it runs the `tool_calls` of the last assistant message that have
 * no tool reply yet, under the batch options, and returns `next` with one
 * `{ role: 'tool', tool_call_id, content }` message per call appended in
 * `tool_calls` order (`content` is `JSON.stringify(result)`), and with the
 * names of the calls it ran added to `invokedTools`. A `done` result, or a
 * `next` whose assistant message has no pending tool calls, is returned as is.
 *
 * Under `settleAll` a failed call becomes `{"error":{"kind","message"}}`.
 * Under `failFast` and `joinAll` the step rejects with a `ToolBatchError`
 * whose `messages` holds the step's messages plus the replies of the calls
 * that succeeded. It rejects with `signal.reason` when `signal` aborts.
 *
 * @param step - the step to wrap.
 * @param options - `tools` or `router`, `concurrency`, `policy`, `timeoutMs`, `perToolConcurrency`,
 *   `signal`, `onEvent`, `inspect`, `clock`: as for `runToolBatch`.
 * @returns the wrapped step.
 * @example
 * ```ts
 * const step = withParallelTools(async (messages) => {
 *   const { message } = await model.complete({ messages, tools: router.toolSpecs, signal });
 *   return message.tool_calls
 *     ? { type: 'next', messages: [...messages, message], invokedTools: [] }
 *     : { type: 'done', messages: [...messages, message] };
 * }, { router, concurrency: 4, policy: 'settleAll' });
 * ```
 */
export function withParallelTools(step: ChatStep, options: ParallelToolsOptions): ChatStep {
  if (typeof step !== 'function') throw new TypeError(`Expected \`step\` to be a function, got ${typeof step}`);
  return async (messages) => {
    const result = await step(messages);
    if (result.type !== 'next') return result;
    const assistant = lastAssistant(result.messages);
    const answered = new Set<string>();
    for (const message of result.messages) if (message.role === 'tool') answered.add(message.tool_call_id);
    const pending = (assistant?.tool_calls ?? []).filter((toolCall) => !answered.has(toolCall.id));
    if (pending.length === 0) return result;

    const calls = toToolCalls(pending);
    const invokedTools = [...result.invokedTools, ...calls.map((call) => call.name)];
    try {
      const outcome = await runToolBatch(calls, options);
      return { type: 'next', messages: [...result.messages, ...toToolMessages(pending, outcome)], invokedTools };
    } catch (error) {
      if (!ToolBatchError.isInstance(error)) throw error;
      const gathered = [...result.messages, ...toToolMessages(pending, error.outputs)];
      throw new ToolBatchError(error.policy, error.failures, error.outputs, { messages: gathered });
    }
  };
}
