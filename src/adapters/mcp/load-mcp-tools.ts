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
   * It also bounds the listing itself (every `tools/list` page together): a
   * server that does not list its tools within it makes `loadMcpTools` reject
   * with a `TimeoutError`, and the pending request is cancelled on the server.
   *
   * Default: the batch's `timeoutMs` for calls, and the SDK's 60-second request
   * timeout for the listing. (The SDK's timeout is not used for calls: the
   * batch owns the call's time.)
   */
  timeoutMs?: number;
  /**
   * Stops the listing: `loadMcpTools` rejects with the signal's reason, and the
   * pending `tools/list` request is cancelled on the server. It does not
   * reach the calls, which the batch's own `signal` stops.
   *
   * Default: none.
   */
  signal?: AbortSignal;
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
 * @param options - `filter`, `rename`, `timeoutMs`, `resetTimeoutOnProgress`, `signal`.
 * @returns the server's tools, in the order it lists them.
 * @throws `TypeError` for an invalid option, a tool name that is not a valid
 *   tool name after `rename`, or an input schema zod cannot read; a
 *   `TimeoutError` (`DOMException`) when the listing outlasts `timeoutMs`;
 *   `signal.reason` when `signal` aborts first.
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
  const { filter = () => true, rename = (name: string) => name, timeoutMs, resetTimeoutOnProgress = false, signal } = options;
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
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${showValue(signal)}`);
  const definitions = await listWithin(client, timeoutMs, signal);
  return definitions.filter((definition) => filter(definition)).map((definition) => createMcpTool(client, definition, { rename, timeoutMs, resetTimeoutOnProgress }));
}

/** Node fires a longer timer after 1 ms, so a longer timeout is none (the SDK's own then applies). */
const maxTimerMs = 2 ** 31 - 1;

/** `listAllTools` bounded by `timeoutMs` (all pages together) and stopped by `signal`. */
async function listWithin(client: McpToolClient, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<McpToolDefinition[]> {
  signal?.throwIfAborted();
  if (timeoutMs === undefined || timeoutMs > maxTimerMs) return listAllTools(client, signal === undefined ? {} : { signal });
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`the MCP server did not list its tools within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  try {
    // The SDK's own per-request timeout (60 s by default) must not cut a longer `timeoutMs` short.
    return await listAllTools(client, { signal: signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]), timeout: timeoutMs });
  } finally {
    clearTimeout(timer);
  }
}

/** Every page of `tools/list`, in order; `request.signal` cancels the pending request, rejecting with its reason. */
async function listAllTools(client: McpToolClient, request: { signal?: AbortSignal; timeout?: number }): Promise<McpToolDefinition[]> {
  const { signal } = request;
  const tools: McpToolDefinition[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    let page: Awaited<ReturnType<McpToolClient['listTools']>>;
    try {
      page = await client.listTools(cursor === undefined ? undefined : { cursor }, request);
    } catch (error) {
      // The SDK wraps an abort's reason in an McpError: give the caller the reason itself.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
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

