/**
 * A Redis server of the test's own: `redis-server` on a free 127.0.0.1 port,
 * with no persistence (`--save '' --appendonly no`), so that no test sees
 * what another left. It can be stopped and started again on the same port
 * (the Redis-restart fault test). With `REDIS_URL` set, that server is used
 * instead and nothing is started (it then cannot be stopped or restarted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { answersPing, freePort } from '../../src/cli/demo/local-redis.js';

/** A Redis for one test file. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** True when `REDIS_URL` was used: `stop` and `start` are then refused. */
  readonly external: boolean;
  /** Stops the server (SIGTERM, waits for its exit); its data is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it for good (does nothing for an external server). */
  close(): Promise<void>;
}

async function untilReady(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited before it was ready (code ${child.exitCode}): ${output().trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (await answersPing(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a Redis for a test file, or uses `REDIS_URL`.
 *
 * @returns the server; call `close()` in `afterAll`.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external !== undefined && external !== '') {
    const port = Number(new URL(external).port || 6379);
    const refuse = async (): Promise<void> => {
      throw new Error('REDIS_URL is set: the test cannot stop or restart that server');
    };
    return { url: external, port, external: true, stop: refuse, start: refuse, close: async () => {} };
  }

  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async (): Promise<void> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout?.on('data', (chunk) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk) => (output += chunk.toString()));
    const spawnError = new Promise<never>((_, reject) =>
      proc.once('error', (error) => reject(new Error(`cannot start redis-server (is it installed? apt-get install redis-server): ${error.message}`))),
    );
    child = proc;
    await Promise.race([untilReady(port, proc, () => output), spawnError]);
  };

  // The port may be taken between asking for it and binding it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (child) await exited(child);
      if (attempt === 3 || /cannot start/.test(String(error))) throw error;
    }
  }

  const stop = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current === undefined) return;
    current.kill('SIGTERM');
    await exited(current);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    external: false,
    stop,
    start: launch,
    close: stop,
  };
}
