/**
 * `withParallelTools`: tower-llm's ParallelToolsLayer. It wraps one agent
 * step and runs the tool calls of the step's assistant message as one batch.
 */
import { ToolBatchError } from '../core/errors.js';
import { settledResultsOf } from '../core/failure.js';
import { toToolCalls, toToolMessages, type AssistantMessage, type ChatMessage, type ChatToolCall } from '../core/chat-format.js';
import { showValue } from '../core/describe.js';
import { assistantTurnProblem } from '../core/model-turn.js';
import { checkRunToolBatchOptions, runToolBatch, runToolBatchOptionKeys, type RunToolBatchOptions } from './run-tool-batch.js';

/** What one agent step returns: go on with the new messages, or stop. */
export type ChatStepResult =
  | { type: 'next'; messages: ChatMessage[]; invokedTools: string[] }
  | { type: 'done'; messages: ChatMessage[] };

/** One agent step: usually a model call that appends the assistant's turn. */
export type ChatStep = (messages: ChatMessage[]) => Promise<ChatStepResult>;

/** Options of `withParallelTools`: those of `runToolBatch` (tools or router, batch options, hooks). */
export type ParallelToolsOptions = RunToolBatchOptions;

/** Every option `withParallelTools` takes: exactly those of `runToolBatch`, from the same list. */
export const parallelToolsOptionKeys: readonly string[] = runToolBatchOptionKeys;

/**
 * The tool calls of the newest assistant message that no tool message after
 * it answers. Only that message counts: an id an earlier turn used (some
 * local servers send `call_0` every turn) does not make a new call answered.
 *
 * @throws `TypeError` when the step's result, a message, or the newest assistant turn is malformed, naming the field.
 */
function pendingToolCalls(result: unknown): ChatToolCall[] {
  if (typeof result !== 'object' || result === null || !Array.isArray((result as { messages?: unknown }).messages)) {
    throw new TypeError(
      `Expected the step to resolve \`{ type: 'next', messages, invokedTools }\` or \`{ type: 'done', messages }\`, got ${showValue(result)}`,
    );
  }
  const { messages } = result as { messages: unknown[] };
  let newest = -1;
  for (let index = messages.length - 1; index >= 0 && newest === -1; index--) {
    const message = messages[index];
    if (typeof message !== 'object' || message === null) {
      throw new TypeError(`Expected \`messages[${index}]\` to be a chat message, got ${showValue(message)}`);
    }
    if ((message as { role?: unknown }).role === 'assistant') newest = index;
  }
  if (newest === -1) return [];
  const problem = assistantTurnProblem(messages[newest], `messages[${newest}]`);
  if (problem !== undefined) throw new TypeError(`Expected ${problem}`);
  const answered = new Set<unknown>();
  for (const message of messages.slice(newest + 1) as ChatMessage[]) {
    if (typeof message === 'object' && message !== null && message.role === 'tool') answered.add(message.tool_call_id);
  }
  return ((messages[newest] as AssistantMessage).tool_calls ?? []).filter((toolCall) => !answered.has(toolCall.id));
}

/**
 * Wraps a step so that the tool calls of its last assistant message run as one batch.
 *
 * On `next`, it runs the `tool_calls` of the last assistant message that have
 * no tool reply after that message (only the newest turn counts: an id an
 * earlier turn used is a new call), under the batch options, and returns `next` with one
 * `{ role: 'tool', tool_call_id, content }` message per call appended in
 * `tool_calls` order (`content` is `JSON.stringify(result)`), and with the
 * names of the calls it ran added to `invokedTools`. A `done` result, or a
 * `next` whose assistant message has no pending tool calls, is returned as is.
 *
 * Under `settleAll` a failed call becomes `{"error":{"kind","message"}}`.
 * Under `failFast` and `joinAll` the step rejects with a `ToolBatchError`
 * whose `messages` holds the step's messages plus the replies of the calls
 * that succeeded. It rejects with `signal.reason` when `signal` aborts.
 * Calls cancelled through `control` become `{"error":{"kind":"cancelled","message"}}`
 * under every policy: a batch whose only failures are cancels does not reject.
 *
 * A malformed call (no `function`, a non-string `function.name` or
 * `function.arguments`) fails alone with `invalidArguments`, naming the field.
 * A malformed turn (`tool_calls` not an array, a call without a usable or
 * unique `id`) or step result rejects with a `TypeError` naming the field.
 *
 * @param step - the step to wrap.
 * @param options - `tools` or `router`, `concurrency`, `policy`, `timeoutMs`, `perToolConcurrency`,
 *   `signal`, `onEvent`, `inspect`, `clock`: as for `runToolBatch`.
 * @returns the wrapped step.
 * @throws `TypeError` at once for a `step` that is not a function or any invalid option (as `runToolBatch` checks them).
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
  if (typeof step !== 'function') throw new TypeError(`Expected \`step\` to be a function, got ${showValue(step)}`);
  // Every option is checked now, before any step runs (and again, cheaply, by each batch).
  checkRunToolBatchOptions(options);
  return async (messages) => {
    const result = await step(messages);
    if (typeof result === 'object' && result !== null && result.type === 'done') return result;
    if (typeof result !== 'object' || result === null || result.type !== 'next') {
      throw new TypeError(`Expected the step to resolve \`{ type: 'next', … }\` or \`{ type: 'done', … }\`, got ${showValue(result)}`);
    }
    const pending = pendingToolCalls(result);
    if (pending.length === 0) return result;
    const earlier: unknown = result.invokedTools ?? [];
    if (!Array.isArray(earlier)) throw new TypeError(`Expected \`invokedTools\` to be an array of tool names, got ${showValue(earlier)}`);

    const calls = toToolCalls(pending);
    const invokedTools = [...(earlier as string[]), ...calls.map((call) => call.name)];
    try {
      const outcome = await runToolBatch(calls, options);
      return { type: 'next', messages: [...result.messages, ...toToolMessages(pending, outcome)], invokedTools };
    } catch (error) {
      if (!ToolBatchError.isInstance(error)) throw error;
      // Cancels are the caller's choice (`control`), not a tool's failure: the model reads them and the loop goes on.
      if (error.failures.every((failure) => failure.kind === 'cancelled')) {
        return { type: 'next', messages: [...result.messages, ...toToolMessages(pending, settledResultsOf(calls, error))], invokedTools };
      }
      const gathered = [...result.messages, ...toToolMessages(pending, error.outputs)];
      throw new ToolBatchError(error.policy, error.failures, error.outputs, { messages: gathered });
    }
  };
}
