/**
 * A throwaway Redis for `npm start -- --workers N` when `REDIS_URL` is not
 * set: `redis-server` on a free loopback port, without persistence, stopped
 * when the demo ends.
 */
import { spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/** A running local Redis. */
export interface LocalRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A 127.0.0.1 port the system has just handed out and released.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * Whether a Redis on the 127.0.0.1 port answers PING with PONG. The reply
 * may arrive in pieces: it is read up to its line end.
 *
 * @example
 * ```ts
 * while (!(await answersPing(port))) await delay(20);
 * ```
 */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * Starts `redis-server` on a free 127.0.0.1 port.
 *
 * @returns its URL and `stop()`.
 * @throws an `Error` saying how to get Redis when `redis-server` cannot be started.
 * @example
 * ```ts
 * const redis = await startLocalRedis();
 * // … redis.url …
 * await redis.stop();
 * ```
 */
export async function startLocalRedis(): Promise<LocalRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`--workers needs Redis: set REDIS_URL, or install redis-server (${error.message})`)));
    void exited.then(() => reject(new Error(`redis-server exited at once (code ${child.exitCode}): is port ${port} free?`)));
  });
  // After a normal stop `failed` rejects too, with nobody waiting: keep that quiet.
  failed.catch(() => {});
  const ready = (async () => {
    while (!(await answersPing(port))) await new Promise((resolve) => setTimeout(resolve, 20));
  })();
  await Promise.race([ready, failed]);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
