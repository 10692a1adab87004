/**
 * `xstate-parallel-tools/mcp`: the tools of a Model Context Protocol server
 * as tools for a batch, on `@modelcontextprotocol/sdk` (an optional peer
 * dependency, loaded only here).
 */
export { loadMcpTools } from './load-mcp-tools.js';
export type { LoadMcpToolsOptions } from './load-mcp-tools.js';
export type { McpToolClient } from './mcp-tool.js';
