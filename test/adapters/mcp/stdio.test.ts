import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runToolBatch, ToolBatchError } from 'xstate-parallel-tools';
import { loadMcpTools } from 'xstate-parallel-tools/mcp';

const serverScript = fileURLToPath(new URL('../../fixtures/mcp/stdio-server.mjs', import.meta.url));

interface Child {
  client: Client;
  pid: number;
  /** The server's stderr, one entry a line. */
  lines: string[];
  /** Resolves once the server has written `line` on stderr. */
  waitForLine: (line: string) => Promise<void>;
}

const children: Child[] = [];

/** Starts the fixture server as a child process and connects a client to it. */
async function startChild(): Promise<Child> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [serverScript], stderr: 'pipe' });
  const lines: string[] = [];
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  let buffered = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((entry) => entry.line === line)) waiter.resolve();
    }
  });
  const client = new Client({ name: 'stdio-test-client', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error('the server process did not start');
  const child: Child = {
    client,
    pid,
    lines,
    waitForLine: (line) =>
      lines.includes(line) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ line, resolve })),
  };
  children.push(child);
  return child;
}

/** True while a process with this pid exists. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  // Every child is closed and gone once a test is over.
  for (const { client, pid } of children.splice(0)) {
    await client.close();
    expect(isRunning(pid)).toBe(false);
  }
});

describe('loadMcpTools over stdio', () => {
  it('runs the tools of a server in a child process, results in call order', async () => {
    const { client } = await startChild();
    const tools = await loadMcpTools(client);
    expect(tools.map((tool) => tool.name)).toEqual(['weather', 'fail', 'hang']);
    const results = await runToolBatch(
      [
        { id: 'c1', name: 'weather', arguments: { city: 'Reykjavik' } },
        { id: 'c2', name: 'fail', arguments: { city: 'Atlantis' } },
        { id: 'c3', name: 'weather', arguments: { city: 'Oslo' } },
      ],
      { tools, policy: 'settleAll' },
    );
    expect(results).toMatchObject([
      { ok: true, output: { id: 'c1', result: { city: 'Reykjavik', celsius: 27 } } },
      { ok: false, failure: { index: 1, id: 'c2', name: 'fail', kind: 'error', message: 'no weather station in Atlantis' } },
      { ok: true, output: { id: 'c3', result: { city: 'Oslo', celsius: 12 } } },
    ]);
  });

  it('cancels the request in the child process when the call times out', async () => {
    const { client, waitForLine, lines } = await startChild();
    const error = await runToolBatch([{ id: 'c1', name: 'hang', arguments: {} }], {
      tools: await loadMcpTools(client, { timeoutMs: 100 }),
    }).catch((reason: unknown) => reason);
    expect(ToolBatchError.isInstance(error)).toBe(true);
    expect((error as ToolBatchError).failures).toMatchObject([
      { index: 0, id: 'c1', name: 'hang', kind: 'timeout', message: 'the tool did not settle within 100 ms' },
    ]);
    await waitForLine('hang aborted: TimeoutError: the tool did not settle within 100 ms');
    expect(lines).toEqual(['ready', 'hang started', 'hang aborted: TimeoutError: the tool did not settle within 100 ms']);
  });

  it('fails the running call with a clear error when the server process dies, without hanging', async () => {
    const { client, pid, waitForLine } = await startChild();
    const tools = await loadMcpTools(client);
    const batch = runToolBatch(
      [
        { id: 'c1', name: 'weather', arguments: { city: 'Oslo' } },
        { id: 'c2', name: 'hang', arguments: {} },
      ],
      // One at a time, so the weather call has answered before the server dies.
      { tools, policy: 'joinAll', concurrency: 1 },
    ).catch((reason: unknown) => reason);
    await waitForLine('hang started');
    process.kill(pid, 'SIGKILL');
    const error = await batch;
    expect(ToolBatchError.isInstance(error)).toBe(true);
    expect((error as ToolBatchError).failures).toMatchObject([
      { index: 1, id: 'c2', name: 'hang', kind: 'error', message: 'the MCP connection closed before the tool answered' },
    ]);
    expect((error as ToolBatchError).outputs).toEqual([{ id: 'c1', result: { city: 'Oslo', celsius: 12 } }, undefined]);
    expect(isRunning(pid)).toBe(false);
  });
});
