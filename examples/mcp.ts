/**
 * The tools of an MCP server, run as one batch.
 *
 * The server here runs in the same process (an in-memory transport) so that
 * the example runs anywhere; with a real server, connect the client with
 * `new StdioClientTransport({ command: 'node', args: ['server.mjs'] })` or
 * `new StreamableHTTPClientTransport(new URL('http://localhost:3000/mcp'))`.
 * Run it with `npx tsx examples/mcp.ts`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runToolBatch, type ToolCall, type ToolOutput } from 'xstate-parallel-tools';
import { loadMcpTools } from 'xstate-parallel-tools/mcp';

/**
 * Lists the server's tools and runs two calls to them at once.
 *
 * @returns the outputs, in call order.
 */
export async function main(): Promise<ToolOutput[]> {
  // An MCP server with one tool, and a client connected to it.
  const server = new McpServer({ name: 'weather', version: '1.0.0' });
  server.registerTool(
    'weather',
    { description: 'Current temperature of a city', inputSchema: { city: z.string() }, outputSchema: { city: z.string(), celsius: z.number() } },
    async ({ city }) => {
      const answer = { city, celsius: city.length * 3 };
      return { content: [{ type: 'text', text: JSON.stringify(answer) }], structuredContent: answer };
    },
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'my-agent', version: '1.0.0' });
  await client.connect(clientTransport);

  // The tool calls the model asked for in one turn.
  const calls: ToolCall[] = [
    { id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } },
    { id: 'call_2', name: 'weather', arguments: { city: 'Lima' } },
  ];

// #region readme
  // The adapter: the server's tools, run as one batch.
  const tools = await loadMcpTools(client, { timeoutMs: 10_000 });
  const outputs = await runToolBatch(calls, { tools, concurrency: 2 });
// #endregion readme

  await client.close();
  await server.close();
  return outputs;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
