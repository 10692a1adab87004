/**
 * LangChain tools as batch tools: each call invokes the LangChain tool the way
 * LangGraph's `ToolNode` does (with a `tool_call` input, so the tool sees the
 * call id), plus the call's own `AbortSignal`.
 */
import { ToolMessage } from '@langchain/core/messages';
import type { RunnableToolLike } from '@langchain/core/runnables';
import { ToolInputParsingException, type DynamicTool, type StructuredToolInterface, type ToolRunnableConfig } from '@langchain/core/tools';
import { z } from 'zod';
import { ToolCallError, defineTool, type AnyTool, type ToolCall } from '../../index.js';
import { showValue } from './show-value.js';

/** A LangChain tool, as LangGraph's `ToolNode` accepts it: `tool(...)`, a `StructuredTool`, a `DynamicTool`, or `runnable.asTool()`. */
export type LangChainTool = StructuredToolInterface | DynamicTool | RunnableToolLike;

/** Options of `fromLangChainTools`. */
export interface FromLangChainToolsOptions {
  /**
   * The LangChain config every invocation gets (callbacks, tags, `configurable`, …).
   * Its `signal` is replaced by the call's own signal: cancel through the batch's `signal` option instead.
   * Default: `{}`.
   */
  config?: ToolRunnableConfig;
}

/** How one invocation reports the `ToolMessage` LangChain made, for a caller that wants it whole (artifact included). */
export type ToolMessageSink = (callId: string, message: ToolMessage) => void;

/** The one method the adapter calls on every kind of LangChain tool. */
interface InvokableTool {
  name: string;
  description?: string;
  invoke(input: { id: string; name: string; args: unknown; type: 'tool_call' }, config: ToolRunnableConfig): Promise<unknown>;
}

// LangChain validates the arguments against the tool's own schema (zod 3, zod 4 or JSON Schema),
// so the batch lets them through untouched: parsing them twice would apply a transform twice.
const passThrough = z.unknown();

/**
 * Turns LangChain tools into batch tools, so that `runToolBatch` runs them
 * under its limits, policies and timeouts.
 *
 * Each call invokes the LangChain tool with a `tool_call` input (so
 * `config.toolCall.id` is the call id) and a config whose `signal` is the
 * call's: it aborts on timeout, failFast and cancel. The call's result is the
 * content of the `ToolMessage` LangChain makes: the tool's string, its content
 * blocks, or its value as JSON text. A `ToolInputParsingException` (arguments
 * that do not match the tool's schema) fails the call with `invalidArguments`.
 * A tool that returns a LangGraph `Command` fails with `invalidResult`: a batch
 * returns data and cannot apply graph updates.
 *
 * @param tools - LangChain tools; names must be unique and match `^[a-zA-Z0-9_-]{1,64}$`.
 * @param options - `config`: the LangChain config every invocation gets.
 * @returns one batch tool per LangChain tool, in the same order.
 * @throws `TypeError` for a tool that is not a LangChain tool or whose name is not allowed.
 * @example
 * ```ts
 * const weather = tool(async ({ city }) => `${city}: 12°C`, {
 *   name: 'weather',
 *   description: 'Current temperature of a city',
 *   schema: z.object({ city: z.string() }),
 * });
 * const outputs = await runToolBatch(
 *   [{ id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } }],
 *   { tools: fromLangChainTools([weather]), timeoutMs: 5_000 },
 * );
 * // [{ id: 'call_1', result: 'Oslo: 12°C' }]
 * ```
 */
export function fromLangChainTools(tools: readonly LangChainTool[], options: FromLangChainToolsOptions = {}): AnyTool[] {
  if (!Array.isArray(tools)) throw new TypeError(`Expected \`tools\` to be an array of LangChain tools, got ${showValue(tools)}`);
  const config = options.config ?? {};
  return tools.map((tool) => toBatchTool(tool, () => config));
}

/**
 * One LangChain tool as a batch tool. `configFor(call)` gives the config of each
 * invocation; `sink` receives the `ToolMessage` of each call that succeeded.
 *
 * @param tool - the LangChain tool.
 * @param configFor - the LangChain config for one call (its `signal` is replaced).
 * @param sink - optional: receives each success's `ToolMessage`.
 * @returns the batch tool.
 * @example
 * ```ts
 * const batchTool = toBatchTool(weather, () => ({}));
 * ```
 */
export function toBatchTool(tool: LangChainTool, configFor: (call: ToolCall) => ToolRunnableConfig, sink?: ToolMessageSink): AnyTool {
  if (typeof tool !== 'object' || tool === null || typeof (tool as { invoke?: unknown }).invoke !== 'function') {
    throw new TypeError(`Expected a LangChain tool (an object with \`name\` and \`invoke\`), got ${showValue(tool)}`);
  }
  const invokable = tool as unknown as InvokableTool;
  return defineTool({
    name: invokable.name,
    description: typeof invokable.description === 'string' ? invokable.description : '',
    parameters: passThrough,
    execute: async (args, { signal, call }) => {
      const toolCall = { id: call.id, name: call.name, args, type: 'tool_call' as const };
      let output: unknown;
      try {
        output = await invokable.invoke(toolCall, { ...configFor(call), signal });
      } catch (error) {
        if (error instanceof ToolInputParsingException) {
          throw new ToolCallError('invalidArguments', `Invalid arguments for "${call.name}": ${error.message}`, {
            details: { raw: error.output },
            cause: error,
          });
        }
        throw error;
      }
      if (!ToolMessage.isInstance(output)) {
        // With a tool_call input LangChain wraps every plain result in a ToolMessage; what is left is a direct output such as a Command.
        throw new ToolCallError(
          'invalidResult',
          `"${call.name}" returned ${describeDirectOutput(output)}, not a result: a batch returns data and cannot apply graph updates`,
        );
      }
      sink?.(call.id, output);
      return output.content;
    },
  });
}

function describeDirectOutput(output: unknown): string {
  if (typeof output === 'object' && output !== null && 'lg_name' in output) return `a ${String(output.lg_name)}`;
  return showValue(output);
}
