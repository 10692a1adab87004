/**
 * A loopback HTTP server on 127.0.0.1 that answers each request with the next
 * scripted reply, and records what it saw: the model providers' tests point
 * the real SDK clients at it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server saw of one request. */
export interface SeenRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** The answer to one request: a status and a JSON body, or none at all (`'hang'`). */
export type Reply = { status?: number; body: unknown } | 'hang';

/** A running reply server. */
export interface ReplyServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  seen: SeenRequest[];
  /** The indices of requests that hung and whose connection the client closed. */
  closed: number[];
  close(): Promise<void>;
}

/**
 * Starts the server.
 *
 * @param replies - the replies, in request order.
 * @param missing - the body of a 500 reply to a request past the script, given its index.
 * @example
 * ```ts
 * const server = await startReplyServer([{ body: completion }], (index) => ({ error: { message: `no reply ${index}` } }));
 * ```
 */
export async function startReplyServer(replies: Reply[], missing: (index: number) => unknown): Promise<ReplyServer> {
  const seen: SeenRequest[] = [];
  const closed: number[] = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      const index = seen.push({ method: request.method, url: request.url, headers: request.headers, body: JSON.parse(text) as Record<string, unknown> }) - 1;
      const reply = replies[index] ?? { status: 500, body: missing(index) };
      if (reply === 'hang') {
        response.on('close', () => closed.push(index));
        return;
      }
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
