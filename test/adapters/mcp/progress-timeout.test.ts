import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runToolBatch, ToolBatchError } from 'xstate-parallel-tools';
import { loadMcpTools } from 'xstate-parallel-tools/mcp';
import { deferred } from './in-memory-server.js';

let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await close?.();
  close = undefined;
});

/** A server whose `beat` tool sends a progress notification each time the test says, and runs until cancelled. */
async function startBeatServer() {
  const server = new McpServer({ name: 'beat', version: '1.0.0' });
  const started = deferred<(progress: number) => Promise<void>>();
  const aborts: unknown[] = [];
  server.registerTool('beat', { description: 'Reports progress when told to' }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    if (progressToken === undefined) throw new Error('the client asked for no progress');
    started.resolve((progress) => extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress } }));
    await new Promise((resolve) => extra.signal.addEventListener('abort', resolve, { once: true }));
    aborts.push(extra.signal.reason);
    return { content: [] };
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(clientTransport);
  close = async () => {
    await client.close();
    await server.close();
  };
  return { client, started: started.promise, aborts };
}

describe('loadMcpTools with resetTimeoutOnProgress', () => {
  it('restarts the call timeout on each progress notification, then times out and cancels on the server', async () => {
    const { client, started, aborts } = await startBeatServer();
    const tools = await loadMcpTools(client, { timeoutMs: 100, resetTimeoutOnProgress: true });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let settled = false;
    // The batch's own 20 ms does not apply: the tool's clock is the SDK's, which progress restarts.
    const batch = runToolBatch([{ id: 'c1', name: 'beat', arguments: {} }], { tools, timeoutMs: 20 })
      .catch((error: unknown) => error)
      .finally(() => (settled = true));
    const beat = await started;

    await vi.advanceTimersByTimeAsync(60);
    await beat(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);

    const error = await batch;
    expect(ToolBatchError.isInstance(error)).toBe(true);
    expect((error as ToolBatchError).failures).toMatchObject([
      { index: 0, id: 'c1', name: 'beat', kind: 'timeout', message: 'the MCP server sent neither a result nor progress for 100 ms' },
    ]);
    await vi.waitFor(() => expect(aborts).toEqual(['McpError: MCP error -32001: Request timed out']));
  });

  it('times out after timeoutMs when no progress comes', async () => {
    const { client, started } = await startBeatServer();
    const tools = await loadMcpTools(client, { timeoutMs: 100, resetTimeoutOnProgress: true });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let settled = false;
    const batch = runToolBatch([{ id: 'c1', name: 'beat', arguments: {} }], { tools })
      .catch((error: unknown) => error)
      .finally(() => (settled = true));
    await started;
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await batch as ToolBatchError).failures).toMatchObject([{ kind: 'timeout', message: 'the MCP server sent neither a result nor progress for 100 ms' }]);
  });
});
