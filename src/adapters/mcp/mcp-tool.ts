/**
 * One MCP tool as one of our tools: its JSON Schema becomes the parameters,
 * and a call becomes a `tools/call` request that the batch can cancel.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Progress, Tool as McpToolDefinition } from '@modelcontextprotocol/sdk/types.js';
import { defineTool, type AnyTool, type JsonSchema, type ToolExecuteContext } from '../../index.js';
import { callError } from './call-error.js';
import { toolResultValue } from './tool-result.js';

/**
 * What the adapter needs of an MCP `Client`: listing and calling tools, and
 * knowing whether it is still connected.
 *
 * @example
 * ```ts
 * const client: McpToolClient = new Client({ name: 'my-agent', version: '1.0.0' });
 * ```
 */
export type McpToolClient = Pick<Client, 'listTools' | 'callTool' | 'transport'>;

/** One progress report, as the batch's `call.progress` event carries it. */
interface ProgressReport {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * The context with the progress hook the batch gives tools that can report
 * progress. Optional here, so the adapter works with a batch that has none.
 */
type ProgressContext = ToolExecuteContext & { reportProgress?: (report: ProgressReport) => void };

/** How every tool of one server is made, after `loadMcpTools` has checked its options. */
export interface McpToolSettings {
  rename: (name: string) => string;
  timeoutMs: number | undefined;
  resetTimeoutOnProgress: boolean;
}

/**
 * The longest delay `setTimeout` accepts. Without `resetTimeoutOnProgress`
 * the batch owns the call's time (its timeout aborts the request), so the
 * SDK's own 60-second default must not cut a call the batch lets run.
 */
const noRequestTimeout = 2 ** 31 - 1;

/**
 * Makes one of our tools from a listed MCP tool.
 *
 * @param client - the connected client the calls go through.
 * @param definition - the tool as `tools/list` described it.
 * @param settings - the checked options of `loadMcpTools`.
 * @returns a tool whose `execute` sends `tools/call` with the batch's signal.
 * @throws `TypeError` when the tool's input schema cannot be read, or its name is not a valid tool name.
 * @example
 * ```ts
 * const tool = createMcpTool(client, definition, { rename: (name) => name, timeoutMs: undefined, resetTimeoutOnProgress: false });
 * ```
 */
export function createMcpTool(client: McpToolClient, definition: McpToolDefinition, settings: McpToolSettings): AnyTool {
  const { name } = definition;
  const { timeoutMs, resetTimeoutOnProgress } = settings;
  const sdkTimeoutMs = resetTimeoutOnProgress ? timeoutMs : undefined;
  return defineTool({
    name: settings.rename(name),
    description: definition.description ?? definition.title ?? '',
    parameters: parametersOf(definition),
    // With `resetTimeoutOnProgress` the SDK times the call (progress restarts its clock), so the batch's must not.
    timeoutMs: resetTimeoutOnProgress ? Infinity : timeoutMs,
    execute: async (_args, context: ProgressContext) => {
      const { signal, call } = context;
      const report = context.reportProgress;
      // Asked for even without a hook: progress is what restarts the clock under `resetTimeoutOnProgress`.
      const onprogress = ({ progress, total, message }: Progress): void =>
        report?.({ progress, ...(total !== undefined && { total }), ...(message !== undefined && { message }) });
      let result: Awaited<ReturnType<McpToolClient['callTool']>>;
      try {
        result = await client.callTool(
          // The arguments go as the model sent them (they passed the schema): the server applies its own defaults.
          { name, arguments: call.arguments as Record<string, unknown> },
          undefined,
          { signal, timeout: sdkTimeoutMs ?? noRequestTimeout, resetTimeoutOnProgress, onprogress },
        );
      } catch (error) {
        throw callError(error, { signal, timeoutMs: sdkTimeoutMs, connected: client.transport !== undefined });
      }
      return toolResultValue(name, result);
    },
  });
}

/**
 * The tool's input schema, as given: `defineTool` validates it with zod's
 * `z.fromJSONSchema` before a call goes out (or, for a schema zod cannot
 * read, leaves the check to the server), and the model sees it unchanged.
 */
function parametersOf(definition: McpToolDefinition): JsonSchema {
  return definition.inputSchema as JsonSchema;
}
