import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, ListToolsRequestSchema, CallToolRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createToolRouter, runToolBatch, ToolBatchError, type AnyTool, type ToolCall } from 'xstate-parallel-tools';
import { loadMcpTools } from 'xstate-parallel-tools/mcp';
import { main as runExample } from '../../examples/mcp.js';
import { startInMemoryServer } from './mcp/in-memory-server.js';

type Started = Awaited<ReturnType<typeof startInMemoryServer>>;
let started: Started | undefined;

/** Starts the in-memory server for one test; `afterEach` closes it. */
async function start(options?: Parameters<typeof startInMemoryServer>[0]): Promise<Started> {
  started = await startInMemoryServer(options);
  return started;
}

afterEach(async () => {
  // Nothing may be left running on the server once a test is over.
  if (started) {
    const { log, close } = started;
    started = undefined;
    await close();
    // Closing aborts every handler still running; each then finishes a few microtasks later.
    await until(() => log.running === 0);
    expect(log.running).toBe(0);
  }
});

/** Catches what a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const call = (id: string, name: string, args: unknown): ToolCall => ({ id, name, arguments: args });

describe('loadMcpTools', () => {
  it('turns every listed tool into a tool with its JSON Schema as parameters', async () => {
    const { client } = await start();
    const tools = await loadMcpTools(client);
    expect(tools.map((tool) => [tool.name, tool.description])).toEqual([
      ['weather', 'Current temperature of a city'],
      ['echo', 'Says the words back, one block each'],
      ['picture', 'A tiny picture'],
      ['hang', 'Runs until the request is cancelled'],
      ['fail', 'Always fails'],
      ['count', 'Counts to three, reporting progress'],
      ['wait', 'Answers its key once the test releases it'],
    ]);
    const weather = tools[0] as AnyTool;
    // The JSON Schema passes through unchanged, and the router validates with it.
    expect(weather.parameters).toMatchObject({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] });
    const router = createToolRouter(tools);
    const { $schema: _dialect, ...schema } = weather.parameters as Record<string, unknown>;
    expect(router.toolSpecs[0]!.function.parameters).toEqual(schema);
  });

  it('gives structuredContent, else the text joined, else the content array, in call order', async () => {
    const { client, log } = await start();
    const outputs = await runToolBatch(
      [call('c1', 'weather', { city: 'Oslo' }), call('c2', 'echo', { words: ['one', 'two'] }), call('c3', 'picture', {}), call('c4', 'echo', { words: [] })],
      { tools: await loadMcpTools(client) },
    );
    expect(outputs).toEqual([
      { id: 'c1', result: { city: 'Oslo', celsius: 12 } },
      { id: 'c2', result: 'one\ntwo' },
      {
        id: 'c3',
        result: [
          { type: 'text', text: 'a red dot' },
          { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
        ],
      },
      { id: 'c4', result: '' },
    ]);
    // The server's handlers start in whatever order its validation finishes; what matters is what each got.
    expect([...log.calls].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { name: 'echo', arguments: { words: ['one', 'two'] } },
      { name: 'echo', arguments: { words: [] } },
      { name: 'picture', arguments: undefined },
      { name: 'weather', arguments: { city: 'Oslo' } },
    ]);
  });

  it('keeps call order when later calls finish first, and runs at most `concurrency` on the server', async () => {
    const pending: Array<() => void> = [];
    let entered = 0;
    const { client, log } = await start({
      onWait: (_key, release) => {
        entered += 1;
        pending.push(release);
        // Release the newest call once two run (so later calls finish first), and all once every call is in.
        if (pending.length === 2 || entered === 4) while (pending.length > 0) (entered === 4 ? pending.shift() : pending.pop())?.();
      },
    });
    const keys = ['a', 'b', 'c', 'd'];
    const outputs = await runToolBatch(
      keys.map((key) => call(`call_${key}`, 'wait', { key })),
      { tools: await loadMcpTools(client), concurrency: 2 },
    );
    expect(outputs).toEqual(keys.map((key) => ({ id: `call_${key}`, result: key })));
    expect(log.peak).toBe(2);
  });

  it('fails an isError result with kind error and the server text as the message', async () => {
    const { client } = await start();
    const results = await runToolBatch([call('c1', 'fail', { city: 'Atlantis' }), call('c2', 'weather', { city: 'Lima' })], {
      tools: await loadMcpTools(client),
      policy: 'settleAll',
    });
    expect(results).toMatchObject([
      {
        ok: false,
        failure: { index: 0, id: 'c1', name: 'fail', kind: 'error', message: 'no weather station in Atlantis\ntry another city' },
      },
      { ok: true, output: { id: 'c2', result: { city: 'Lima', celsius: 12 } } },
    ]);
  });

  it('fails arguments that do not fit the input schema with invalidArguments, sending nothing', async () => {
    const { client, log } = await start();
    const [result] = await runToolBatch([call('c1', 'weather', { city: 3 })], { tools: await loadMcpTools(client), policy: 'settleAll' });
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'invalidArguments', message: 'Invalid arguments for "weather": ✖ Invalid input: expected string, received number;   → at city' },
    });
    expect(log.calls).toEqual([]);
  });

  it('cancels the request on the server when the call times out', async () => {
    const { client, log } = await start();
    const error = await rejection(
      runToolBatch([call('c1', 'weather', { city: 'Oslo' }), call('c2', 'hang', {})], {
        tools: await loadMcpTools(client, { timeoutMs: 50 }),
        policy: 'joinAll',
      }),
    );
    expect(ToolBatchError.isInstance(error)).toBe(true);
    const { failures, outputs } = error as ToolBatchError;
    expect(failures).toMatchObject([{ index: 1, id: 'c2', name: 'hang', kind: 'timeout', message: 'the tool did not settle within 50 ms' }]);
    expect(outputs).toEqual([{ id: 'c1', result: { city: 'Oslo', celsius: 12 } }, undefined]);
    await until(() => log.aborts.length === 1);
    expect(log.aborts).toEqual(['TimeoutError: the tool did not settle within 50 ms']);
  });

  it('under failFast, cancels the running request on the server and starts no queued call', async () => {
    const { client, log } = await start();
    const tools = await loadMcpTools(client);
    const batch = runToolBatch([call('c1', 'hang', {}), call('c2', 'fail', { city: 'Atlantis' }), call('c3', 'weather', { city: 'Oslo' })], {
      tools,
      concurrency: 2,
      policy: 'failFast',
    });
    const error = await rejection(batch);
    expect(ToolBatchError.isInstance(error)).toBe(true);
    // The failure that ended the batch comes first.
    expect((error as ToolBatchError).failures).toMatchObject([
      { index: 1, id: 'c2', name: 'fail', kind: 'error', message: 'no weather station in Atlantis\ntry another city' },
      { index: 0, id: 'c1', name: 'hang', kind: 'aborted', message: 'aborted before it settled: the batch ended' },
    ]);
    await until(() => log.aborts.length === 1);
    expect(log.aborts).toEqual(['AbortError: The tool call was aborted']);
    expect(log.calls.map((seen) => seen.name)).toEqual(['hang', 'fail']);
  });

  it("rejects with the signal's reason when the caller aborts, and cancels the request on the server", async () => {
    const { client, log } = await start();
    const controller = new AbortController();
    const batch = runToolBatch([call('c1', 'hang', {})], { tools: await loadMcpTools(client), signal: controller.signal });
    await log.hangStarted.promise;
    const reason = new Error('user went away');
    controller.abort(reason);
    expect(await rejection(batch)).toBe(reason);
    await until(() => log.aborts.length === 1);
    expect(log.aborts).toEqual(['AbortError: The tool call was aborted']);
  });

  it('reports MCP progress notifications as call.progress events', async () => {
    const { client } = await start();
    // Typed loosely: `call.progress` is not in every version of the emitted-event union.
    const events: Array<{ type: string; at?: number }> = [];
    const outputs = await runToolBatch([call('c1', 'count', { to: 3 })], {
      tools: await loadMcpTools(client),
      onEvent: (event) => events.push({ ...event }),
    });
    expect(outputs).toEqual([{ id: 'c1', result: 'counted to 3' }]);
    expect(events.filter((event) => event.type === 'call.progress').map(({ at: _at, ...event }) => event)).toEqual([
      { type: 'call.progress', index: 0, id: 'c1', name: 'count', progress: 1, total: 3 },
      { type: 'call.progress', index: 0, id: 'c1', name: 'count', progress: 2, total: 3 },
      { type: 'call.progress', index: 0, id: 'c1', name: 'count', progress: 3, total: 3, message: 'done counting' },
    ]);
  });

  it("passes MCP progress notifications to the tool context's reportProgress", async () => {
    const { client } = await start();
    const count = (await loadMcpTools(client)).find((tool) => tool.name === 'count') as AnyTool;
    const reports: unknown[] = [];
    const context = {
      signal: new AbortController().signal,
      call: call('c1', 'count', { to: 2 }),
      reportProgress: (report: unknown) => void reports.push(report),
      attempt: 1,
      approved: false,
    };
    expect(await count.execute({ to: 2 }, context)).toBe('counted to 2');
    expect(reports).toEqual([
      { progress: 1, total: 2 },
      { progress: 2, total: 2, message: 'done counting' },
    ]);
  });

  it('fails a call whose connection closes under it with a clear error, and a later call too', async () => {
    const { client, serverTransport, log } = await start();
    const tools = await loadMcpTools(client);
    const batch = runToolBatch([call('c1', 'hang', {})], { tools, policy: 'settleAll' });
    await log.hangStarted.promise;
    await serverTransport.close();
    expect(await batch).toMatchObject([
      { ok: false, failure: { index: 0, id: 'c1', name: 'hang', kind: 'error', message: 'the MCP connection closed before the tool answered' } },
    ]);
    expect(log.aborts).toHaveLength(1);
    expect(await runToolBatch([call('c2', 'weather', { city: 'Oslo' })], { tools, policy: 'settleAll' })).toMatchObject([
      { ok: false, failure: { kind: 'error', message: 'the MCP client is not connected' } },
    ]);
  });

  it('renames and filters tools, calling the server under its own names', async () => {
    const { client, log } = await start();
    const tools = await loadMcpTools(client, { filter: (tool) => tool.name === 'weather', rename: (name) => `oslo_${name}` });
    expect(tools.map((tool) => tool.name)).toEqual(['oslo_weather']);
    expect(await runToolBatch([call('c1', 'oslo_weather', { city: 'Oslo' })], { tools })).toEqual([{ id: 'c1', result: { city: 'Oslo', celsius: 12 } }]);
    expect(log.calls).toEqual([{ name: 'weather', arguments: { city: 'Oslo' } }]);
  });

  it('rejects invalid options with a TypeError that shows the value, before listing', async () => {
    const { client } = await start();
    await expect(loadMcpTools(client, { timeoutMs: 0 })).rejects.toThrow(
      new TypeError('Expected `timeoutMs` to be a number of milliseconds above 0, or `Infinity`, got `0` (number)'),
    );
    await expect(loadMcpTools(client, { resetTimeoutOnProgress: true })).rejects.toThrow(
      new TypeError('Expected `timeoutMs` to be a number of milliseconds below 2^31 when `resetTimeoutOnProgress` is true, got `undefined` (undefined)'),
    );
    await expect(loadMcpTools(client, { rename: 'x' as unknown as (name: string) => string })).rejects.toThrow(
      new TypeError('Expected `rename` to be a function, got `"x"` (string)'),
    );
    await expect(loadMcpTools({} as Client)).rejects.toThrow(new TypeError('Expected `client` to be a connected MCP Client, got `an object` (object)'));
    await expect(loadMcpTools(client, { rename: (name) => `${name}.v1` })).rejects.toThrow(TypeError);
  });
});

describe('loadMcpTools with a paginating server', () => {
  /** A low-level server (McpServer lists every tool on one page) that lists `names` two per page. */
  async function startPagedServer(names: string[], cursorAfter = (end: number) => String(end)) {
    const server = new Server({ name: 'paged', version: '1.0.0' }, { capabilities: { tools: {} } });
    const cursors: Array<string | undefined> = [];
    server.setRequestHandler(ListToolsRequestSchema, (request) => {
      cursors.push(request.params?.cursor);
      const start = Number(request.params?.cursor ?? 0);
      const end = start + 2;
      return {
        tools: names.slice(start, end).map((name) => ({ name, description: `tool ${name}`, inputSchema: { type: 'object' as const } })),
        ...(end < names.length && { nextCursor: cursorAfter(end) }),
      };
    });
    server.setRequestHandler(CallToolRequestSchema, (request) =>
      request.params.name === 't4'
        ? { content: [{ type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' }], isError: true }
        : { content: [{ type: 'text', text: `ran ${request.params.name}` }] },
    );
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(clientTransport);
    return { client, cursors, close: async () => (await client.close(), await server.close()) };
  }

  it('follows nextCursor until the last page', async () => {
    const { client, cursors, close } = await startPagedServer(['t1', 't2', 't3', 't4', 't5']);
    try {
      const tools = await loadMcpTools(client);
      expect(tools.map((tool) => tool.name)).toEqual(['t1', 't2', 't3', 't4', 't5']);
      expect(cursors).toEqual([undefined, '2', '4']);
      expect(await runToolBatch([call('c1', 't1', {}), call('c2', 't5', {})], { tools })).toEqual([
        { id: 'c1', result: 'ran t1' },
        { id: 'c2', result: 'ran t5' },
      ]);
    } finally {
      await close();
    }
  });

  it('fails an isError result that has no text with a message naming the tool', async () => {
    const { client, close } = await startPagedServer(['t1', 't2', 't3', 't4']);
    try {
      expect(await runToolBatch([call('c1', 't4', {})], { tools: await loadMcpTools(client), policy: 'settleAll' })).toMatchObject([
        { ok: false, failure: { kind: 'error', message: 'MCP tool "t4" returned an error without text' } },
      ]);
    } finally {
      await close();
    }
  });

  it('rejects a server that sends the same cursor twice instead of listing forever', async () => {
    const { client, cursors, close } = await startPagedServer(['t1', 't2', 't3', 't4', 't5'], () => '2');
    try {
      await expect(loadMcpTools(client)).rejects.toThrow(new Error('The MCP server sent the tools/list cursor "2" twice'));
      expect(cursors).toEqual([undefined, '2']);
    } finally {
      await close();
    }
  });
});

describe('loadMcpTools with a server that never answers tools/list', () => {
  /** A real McpServer whose tools/list handler never returns; it records the cancellations it receives. */
  async function startSilentServer() {
    const server = new McpServer({ name: 'silent', version: '1.0.0' });
    server.registerTool('weather', { description: 'never listed', inputSchema: { city: z.string() } }, () => ({ content: [] }));
    const listings: string[] = [];
    server.server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => {
      listings.push('started');
      return new Promise((_, reject) =>
        extra.signal.addEventListener('abort', () => {
          listings.push(`cancelled: ${String(extra.signal.reason)}`);
          reject(extra.signal.reason);
        }),
      );
    });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(clientTransport);
    return { client, listings, close: async () => (await client.close(), await server.close()) };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejects with a TimeoutError once timeoutMs passes, and cancels the request on the server', async () => {
    const { client, listings, close } = await startSilentServer();
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const loading = loadMcpTools(client, { timeoutMs: 200 }).catch((error: unknown) => error);
      await until(() => listings.length === 1);
      await vi.advanceTimersByTimeAsync(199);
      expect(listings).toEqual(['started']);
      await vi.advanceTimersByTimeAsync(1);
      const error = await loading;
      expect(error).toBeInstanceOf(DOMException);
      expect([(error as DOMException).name, (error as DOMException).message]).toEqual(['TimeoutError', 'the MCP server did not list its tools within 200 ms']);
      await until(() => listings.length === 2);
      expect(listings).toEqual(['started', 'cancelled: TimeoutError: the MCP server did not list its tools within 200 ms']);
    } finally {
      vi.useRealTimers();
      await close();
    }
  });

  it("rejects with the signal's reason when the caller aborts the listing, and cancels the request on the server", async () => {
    const { client, listings, close } = await startSilentServer();
    try {
      const controller = new AbortController();
      const loading = loadMcpTools(client, { signal: controller.signal }).catch((error: unknown) => error);
      await until(() => listings.length === 1);
      const reason = new Error('user went away');
      controller.abort(reason);
      expect(await loading).toBe(reason);
      await until(() => listings.length === 2);
      expect(listings).toEqual(['started', 'cancelled: Error: user went away']);
    } finally {
      await close();
    }
  });
});

describe('examples/mcp', () => {
  it('runs the README example', async () => {
    expect(await runExample()).toEqual([
      { id: 'call_1', result: { city: 'Oslo', celsius: 12 } },
      { id: 'call_2', result: { city: 'Lima', celsius: 12 } },
    ]);
  });
});

it('compares error codes with the SDK values', () => {
  // call-error.ts compares by value; these are the SDK's own codes.
  expect([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout]).toEqual([-32000, -32001]);
});

/** Waits, a macrotask at a time, until `done()` (the server learns of a cancel by a notification). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; !done(); turn += 1) {
    if (turn === 100) throw new Error('gave up waiting');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
