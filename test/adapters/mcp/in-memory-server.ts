/**
 * A real `McpServer` linked to a real `Client` in memory, with tools that
 * answer, hang until cancelled, fail, report progress, or wait for the test.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { deferred, type Deferred } from '../../helpers/deferred.js';
export { deferred, type Deferred } from '../../helpers/deferred.js';

/** What a tool handler gets besides its arguments. */
type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What the server saw, for the test to check. */
export interface ServerLog {
  /** Each `tools/call`, in arrival order: the tool name and its arguments. */
  calls: Array<{ name: string; arguments: unknown }>;
  /** Handlers that have started and not finished. */
  running: number;
  /** The most handlers running at once. */
  peak: number;
  /** The abort reason each `hang` call's `extra.signal` saw, in order. */
  aborts: unknown[];
  /** Resolves when a `hang` call has started, with how many have. */
  hangStarted: Deferred<void>;
}

/** Options for the `wait` tool: called with each key as its handler starts. */
export interface InMemoryServerOptions {
  onWait?: (key: string, release: () => void) => void;
}

/**
 * Starts a server and a connected client on a linked in-memory pair.
 *
 * @param options - how the `wait` tool's handlers are released.
 * @returns the client, the server, its transport, and what the server saw.
 */
export async function startInMemoryServer(options: InMemoryServerOptions = {}) {
  const log: ServerLog = { calls: [], running: 0, peak: 0, aborts: [], hangStarted: deferred() };
  const server = new McpServer({ name: 'test-server', version: '1.0.0' });

  /** Counts a handler as running while `body` runs. */
  const tracked =
    <A extends unknown[], R>(name: string, body: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      log.calls.push({ name, arguments: args.length > 1 ? args[0] : undefined });
      log.running += 1;
      log.peak = Math.max(log.peak, log.running);
      try {
        return await body(...args);
      } finally {
        log.running -= 1;
      }
    };

  server.registerTool(
    'weather',
    {
      description: 'Current temperature of a city',
      inputSchema: { city: z.string() },
      outputSchema: { city: z.string(), celsius: z.number() },
    },
    tracked('weather', async ({ city }: { city: string }) => {
      const answer = { city, celsius: city.length * 3 };
      return { content: [{ type: 'text' as const, text: JSON.stringify(answer) }], structuredContent: answer };
    }),
  );
  server.registerTool(
    'echo',
    { description: 'Says the words back, one block each', inputSchema: { words: z.array(z.string()) } },
    tracked('echo', async ({ words }: { words: string[] }) => ({ content: words.map((text) => ({ type: 'text' as const, text })) })),
  );
  server.registerTool(
    'picture',
    { title: 'A tiny picture' },
    tracked('picture', async () => ({
      content: [
        { type: 'text' as const, text: 'a red dot' },
        { type: 'image' as const, data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      ],
    })),
  );
  server.registerTool(
    'hang',
    { description: 'Runs until the request is cancelled' },
    tracked('hang', async (extra: Extra) => {
      log.hangStarted.resolve();
      await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve(), { once: true }));
      log.aborts.push(extra.signal.reason);
      return { content: [{ type: 'text' as const, text: 'too late' }] };
    }),
  );
  server.registerTool(
    'fail',
    { description: 'Always fails', inputSchema: { city: z.string() } },
    tracked('fail', async ({ city }: { city: string }) => ({
      content: [
        { type: 'text' as const, text: `no weather station in ${city}` },
        { type: 'text' as const, text: 'try another city' },
      ],
      isError: true,
    })),
  );
  server.registerTool(
    'count',
    { description: 'Counts to three, reporting progress', inputSchema: { to: z.number().int() } },
    tracked('count', async ({ to }: { to: number }, extra: Extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let progress = 1; progress <= to; progress += 1) {
        if (progressToken === undefined) break;
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, total: to, ...(progress === to && { message: 'done counting' }) },
        });
      }
      return { content: [{ type: 'text' as const, text: `counted to ${to}` }] };
    }),
  );
  server.registerTool(
    'wait',
    { description: 'Answers its key once the test releases it', inputSchema: { key: z.string() } },
    tracked('wait', async ({ key }: { key: string }) => {
      const gate = deferred();
      options.onWait?.(key, () => gate.resolve());
      await gate.promise;
      return { content: [{ type: 'text' as const, text: key }] };
    }),
  );

  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(clientTransport);
  return {
    client,
    server,
    serverTransport,
    log,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
