/**
 * A LangGraph node that replaces `ToolNode`: it runs the last AI message's
 * tool calls as one batch, under the batch's limits, policies and timeouts.
 */
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { ToolRunnableConfig } from '@langchain/core/tools';
import { isGraphBubbleUp, type LangGraphRunnableConfig } from '@langchain/langgraph';
import {
  ToolBatchError,
  UnparsedArguments,
  createToolRouter,
  runToolBatch,
  type BatchOptions,
  type RunToolBatchOptions,
  type SettledResult,
  type ToolCall,
  type ToolFailure,
} from '../../index.js';
import { toBatchTool, type LangChainTool } from './from-langchain-tools.js';
import { settledResultsOf } from '../../core/failure.js';
import { showValue } from './show-value.js';

/** Options of `createParallelToolNode`: the batch options, and a progress hook. */
export interface ParallelToolNodeOptions extends BatchOptions {
  /** Receives every progress event of each batch (`call.started`, `call.settled`, `batch.settled`). Default: none. */
  onEvent?: RunToolBatchOptions['onEvent'];
}

/** The node's state: LangGraph's `MessagesAnnotation` state, or any state with a `messages` list. */
export interface MessagesState {
  messages: BaseMessage[];
}

/** A LangGraph node: reads `state.messages`, returns `{ messages }` with one `ToolMessage` per call. */
export type ParallelToolNode = (state: MessagesState, config?: LangGraphRunnableConfig) => Promise<{ messages: ToolMessage[] }>;

/**
 * Creates a LangGraph node that runs the last AI message's tool calls as one
 * batch: at most `concurrency` at once, with per-tool limits and per-call
 * timeouts that abort each tool's `signal`.
 *
 * It returns `{ messages }` with one `ToolMessage` per call, in `tool_calls`
 * order, whatever order they finished in. A success is the `ToolMessage`
 * LangChain made (content, artifact, `status: 'success'`), as `ToolNode`
 * returns it. Each tool gets what `ToolNode` gives it: the graph's config, the
 * call as `toolCall`, and `state`, `toolCallId`, `context`, `store`, `writer`.
 *
 * - Failures under `settleAll`: an error `ToolMessage` per failed call
 *   (`status: 'error'`, content `{"error":{"kind","message"}}`), and the graph
 *   goes on, as `ToolNode` does by default.
 * - Failures under `failFast` (the default) and `joinAll`: the node throws the
 *   `ToolBatchError` (with `failures` and `outputs`), as `ToolNode` does with
 *   `handleToolErrors: false`, so the graph run rejects, its state keeps no
 *   tool message of this turn, and a node `retryPolicy` or a checkpointer can
 *   take over.
 * - A tool that calls `interrupt()` (or throws any LangGraph bubble-up error)
 *   makes the node throw that error, under every policy, so the graph pauses.
 * - Calls that already have a `ToolMessage` in `state.messages` are skipped
 *   (as `ToolNode` skips them). `invalid_tool_calls` that carry an id and a
 *   name (argument strings that were not JSON) join the batch after
 *   `tool_calls` and fail with `invalidArguments`.
 * - Aborting the graph run (`graph.invoke(input, { signal })`) cancels the
 *   batch and the node throws the signal's reason.
 *
 * @param tools - LangChain tools; names must be unique and match `^[a-zA-Z0-9_-]{1,64}$`.
 * @param options - `concurrency`, `policy`, `timeoutMs`, `perToolConcurrency`, `onEvent`.
 *   Invalid options make each run throw a `TypeError` before any tool starts.
 * @returns the node, for `StateGraph.addNode`.
 * @throws `TypeError` for invalid tools, at once.
 * @example
 * ```ts
 * const graph = new StateGraph(MessagesAnnotation)
 *   .addNode('agent', async ({ messages }) => ({ messages: [await model.invoke(messages)] }))
 *   .addNode('tools', createParallelToolNode([weather], { concurrency: 2, policy: 'settleAll', timeoutMs: 5_000 }))
 *   .addEdge(START, 'agent')
 *   .addConditionalEdges('agent', toolsCondition, ['tools', END])
 *   .addEdge('tools', 'agent')
 *   .compile();
 * ```
 */
export function createParallelToolNode(tools: readonly LangChainTool[], options: ParallelToolNodeOptions = {}): ParallelToolNode {
  if (!Array.isArray(tools)) throw new TypeError(`Expected \`tools\` to be an array of LangChain tools, got ${showValue(tools)}`);
  // Checks names and duplicates now, not at the first run.
  createToolRouter(tools.map((tool) => toBatchTool(tool, () => ({}))));
  const { concurrency, policy, timeoutMs, perToolConcurrency, onEvent } = options;

  return async (state, config = {}) => {
    const messages = messagesOf(state);
    const pending = pendingCalls(messages);
    if (pending.length === 0) return { messages: [] };

    // One set of tools per run: each run has its own graph config, state and reply messages.
    const replies = new Map<string, ToolMessage>();
    const configFor = (call: ToolCall): ToolRunnableConfig => {
      // What ToolNode gives a tool (LangChain's `ToolRuntime`), so tools written for ToolNode find it here too.
      const runtime: ToolRunnableConfig & Record<'state' | 'toolCallId' | 'config' | 'store' | 'writer', unknown> = {
        ...config,
        state,
        toolCallId: call.id,
        config,
        context: config.context,
        store: config.store ?? null,
        writer: config.writer ?? null,
      };
      return runtime;
    };
    const router = createToolRouter(tools.map((tool) => toBatchTool(tool, configFor, (id, message) => replies.set(id, message))));
    const batch = { router, concurrency, timeoutMs, perToolConcurrency, onEvent, signal: config.signal };

    let results: SettledResult[];
    if (policy === 'settleAll') {
      results = await runToolBatch(pending, { ...batch, policy });
    } else {
      try {
        const outputs = await runToolBatch(pending, { ...batch, policy });
        results = outputs.map((output) => ({ ok: true, output }));
      } catch (error) {
        if (!ToolBatchError.isInstance(error)) throw error;
        throwBubbleUp(error.failures);
        // As ToolNode answers a tool that threw: a message per call, so the model reads every one.
        results = settledResultsOf(pending, error);
      }
    }
    throwBubbleUp(results.flatMap((result) => (result.ok ? [] : [result.failure])));

    return {
      messages: results.map((result, index) => {
        const call = pending[index]!;
        if (!result.ok) return errorMessage(result.failure);
        // Every success went through the sink; the fallback only keeps the types honest.
        const { result: content } = result.output;
        return (
          replies.get(call.id) ??
          new ToolMessage({ status: 'success', name: call.name, tool_call_id: call.id, content: typeof content === 'string' ? content : JSON.stringify(content) })
        );
      }),
    };
  };
}

function messagesOf(state: MessagesState): BaseMessage[] {
  const messages = (state as Partial<MessagesState> | undefined)?.messages;
  if (!Array.isArray(messages)) {
    throw new TypeError(`Expected the node's state to have a \`messages\` array, got ${messages === undefined ? 'none' : typeof messages}`);
  }
  return messages;
}

/** The last AI message's calls that have no tool message yet, as batch calls. */
function pendingCalls(messages: readonly BaseMessage[]): ToolCall[] {
  const last = messages.findLast((message) => AIMessage.isInstance(message));
  if (last === undefined) throw new TypeError('Expected an AI message in `state.messages`, found none');
  const answered = new Set(messages.flatMap((message) => (ToolMessage.isInstance(message) ? [message.tool_call_id] : [])));
  const calls: ToolCall[] = [];
  (last.tool_calls ?? []).forEach((toolCall, index) => {
    if (typeof toolCall.id !== 'string' || toolCall.id === '') {
      throw new TypeError(`Expected tool call ${index} ("${toolCall.name}") to have an id, got ${String(toolCall.id)}`);
    }
    if (!answered.has(toolCall.id)) calls.push({ id: toolCall.id, name: toolCall.name, arguments: toolCall.args });
  });
  for (const invalid of last.invalid_tool_calls ?? []) {
    // Without an id the reply could not be matched to the call; without a name there is nothing to report on.
    if (!invalid.id || !invalid.name || answered.has(invalid.id)) continue;
    const raw = invalid.args ?? '';
    calls.push({ id: invalid.id, name: invalid.name, arguments: new UnparsedArguments(raw, invalid.error ?? 'the model sent invalid arguments') });
  }
  return calls;
}

/** LangGraph's interrupts and parent commands must reach the graph as thrown, whatever the policy. */
function throwBubbleUp(failures: readonly ToolFailure[]): void {
  const bubbleUp = failures.find((failure) => isGraphBubbleUp(failure.error));
  if (bubbleUp !== undefined) throw bubbleUp.error;
}

function errorMessage(failure: ToolFailure): ToolMessage {
  return new ToolMessage({
    status: 'error',
    name: failure.name,
    tool_call_id: failure.id,
    content: JSON.stringify({ error: { kind: failure.kind, message: failure.message } }),
  });
}
