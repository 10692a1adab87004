/**
 * `loadMcpTools`: every tool of a connected MCP server, as tools for a batch.
 */
import type { Tool as McpToolDefinition } from '@modelcontextprotocol/sdk/types.js';
import type { AnyTool } from '../../index.js';
import { createMcpTool, type McpToolClient } from './mcp-tool.js';
import { showValue } from '../../core/describe.js';

/**
 * Options of `loadMcpTools`.
 *
 * @example
 * ```ts
 * const options: LoadMcpToolsOptions = { rename: (name) => `github_${name}`, timeoutMs: 30_000 };
 * ```
 */
export interface LoadMcpToolsOptions {
  /**
   * Keeps only the tools it returns true for, e.g. to leave out a tool or to
   * allow a few.
   *
   * Default: every tool the server lists.
   */
  filter?: (tool: McpToolDefinition) => boolean;
  /**
   * The name the model sees for an MCP tool name; calls still go to the
   * server under its own name. Use it to prefix the tools of one server when
   * a batch has tools of several, or to replace characters (such as `.`)
   * that tool names may not hold (`^[a-zA-Z0-9_-]{1,64}$`).
   *
   * Default: the MCP name as is.
   */
  rename?: (name: string) => string;
  /**
   * Each call's timeout in ms, over the batch's `timeoutMs`. A call that runs
   * longer fails with kind `timeout`, and its request is cancelled on the server.
   *
   * Default: the batch's `timeoutMs`. (The SDK's own 60-second request
   * timeout is not used: the batch owns the call's time.)
   */
  timeoutMs?: number;
  /**
   * When true, each progress notification from the server restarts the
   * call's `timeoutMs`, so a long call that keeps reporting progress is not
   * cut off. Needs a finite `timeoutMs`, which the SDK then enforces instead
   * of the batch (the batch's own `timeoutMs` does not apply to these tools).
   *
   * Default: `false`.
   */
  resetTimeoutOnProgress?: boolean;
}

/**
 * Lists the tools of a connected MCP client (following `tools/list`
 * pagination) and returns them as tools for `runToolBatch` or
 * `createToolRouter`.
 *
 * Each tool's `parameters` is its `inputSchema`, so arguments that do not fit
 * fail with `invalidArguments` before anything is sent. A call sends
 * `tools/call` with the batch's `AbortSignal`: a timeout, failFast or cancel
 * cancels the request on the server. Progress notifications are reported to
 * the batch as `call.progress` events. A result with `isError: true` fails the
 * call with kind `error` and the server's text as the message; a successful
 * result gives its `structuredContent` when present, else its text joined
 * with newlines, else its content array. A connection that closes under a
 * call fails it with kind `error`: "the MCP connection closed before the tool answered".
 *
 * @param client - a connected `Client` from `@modelcontextprotocol/sdk`.
 * @param options - `filter`, `rename`, `timeoutMs`, `resetTimeoutOnProgress`.
 * @returns the server's tools, in the order it lists them.
 * @throws `TypeError` for an invalid option, a tool name that is not a valid
 *   tool name after `rename`, or an input schema zod cannot read.
 * @example
 * ```ts
 * const client = new Client({ name: 'my-agent', version: '1.0.0' });
 * await client.connect(new StdioClientTransport({ command: 'node', args: ['server.mjs'] }));
 * const tools = await loadMcpTools(client, { timeoutMs: 10_000 });
 * const outputs = await runToolBatch(calls, { tools, concurrency: 4 });
 * ```
 */
export async function loadMcpTools(client: McpToolClient, options: LoadMcpToolsOptions = {}): Promise<AnyTool[]> {
  if (typeof client !== 'object' || client === null || typeof client.listTools !== 'function' || typeof client.callTool !== 'function') {
    throw new TypeError(`Expected \`client\` to be a connected MCP Client, got ${showValue(client)}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object, got ${showValue(options)}`);
  const { filter = () => true, rename = (name: string) => name, timeoutMs, resetTimeoutOnProgress = false } = options;
  if (typeof filter !== 'function') throw new TypeError(`Expected \`filter\` to be a function, got ${showValue(filter)}`);
  if (typeof rename !== 'function') throw new TypeError(`Expected \`rename\` to be a function, got ${showValue(rename)}`);
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new TypeError(`Expected \`timeoutMs\` to be a number of milliseconds above 0, or \`Infinity\`, got ${showValue(timeoutMs)}`);
  }
  if (typeof resetTimeoutOnProgress !== 'boolean') {
    throw new TypeError(`Expected \`resetTimeoutOnProgress\` to be a boolean, got ${showValue(resetTimeoutOnProgress)}`);
  }
  if (resetTimeoutOnProgress && !(timeoutMs !== undefined && timeoutMs < 2 ** 31)) {
    throw new TypeError(
      `Expected \`timeoutMs\` to be a number of milliseconds below 2^31 when \`resetTimeoutOnProgress\` is true, got ${showValue(timeoutMs)}`,
    );
  }
  const definitions = await listAllTools(client);
  return definitions.filter((definition) => filter(definition)).map((definition) => createMcpTool(client, definition, { rename, timeoutMs, resetTimeoutOnProgress }));
}

/** Every page of `tools/list`, in order. */
async function listAllTools(client: McpToolClient): Promise<McpToolDefinition[]> {
  const tools: McpToolDefinition[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
    // A server that hands out a cursor twice would otherwise be listed forever.
    if (cursor !== undefined) {
      if (seen.has(cursor)) throw new Error(`The MCP server sent the tools/list cursor ${JSON.stringify(cursor)} twice`);
      seen.add(cursor);
    }
  } while (cursor !== undefined);
  return tools;
}

