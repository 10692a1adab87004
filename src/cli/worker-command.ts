/**
 * `xstate-parallel-tools worker --tools <module>`: serves a tools module's
 * tools from a BullMQ queue until SIGINT or SIGTERM (or `io.signal`), then
 * lets running jobs finish and exits 0. Bad flags or a module without tools
 * exit 2 with one line on stderr.
 *
 * `bullmq` and `ioredis` are optional peers: they are loaded only when this
 * command runs, with a message saying what to install when they are missing.
 */
import { parseArgs } from 'node:util';
import { importTools } from './tools-module.js';

/** Where the command writes, and what it reads. */
export interface WorkerCommandIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Relative `--tools` paths resolve against it. */
  cwd: string;
  /** `REDIS_URL` is read from it. */
  env: Record<string, string | undefined>;
  /** Stops the worker when it aborts. Default: SIGINT and SIGTERM stop it. */
  signal?: AbortSignal;
}

/** The command's usage, for `--help` and for its errors. */
export const workerUsage = `Usage:
  xstate-parallel-tools worker --tools <module> [--redis redis://host:port] [--queue name] [--concurrency N]
                               [--name name] [--limit tool=N]... [--report-worker]
                               [--lock-duration ms] [--stalled-interval ms]

defaults: --redis $REDIS_URL or redis://127.0.0.1:6379, --queue xstate-parallel-tools, --concurrency 16, --name <host>:<pid>
`;

class WorkerUsageError extends Error {
  override name = 'WorkerUsageError';
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        tools: { type: 'string' },
        redis: { type: 'string' },
        queue: { type: 'string' },
        concurrency: { type: 'string', short: 'c' },
        name: { type: 'string' },
        limit: { type: 'string', multiple: true },
        'report-worker': { type: 'boolean' },
        'lock-duration': { type: 'string' },
        'stalled-interval': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new WorkerUsageError(error instanceof Error ? error.message : String(error));
  }
}

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new WorkerUsageError(`${flag} must be an integer from 1 up, got "${text}"`);
  return value;
}

/** `tool=N` flags as limits. */
function limitsOf(flags: string[] | undefined): Record<string, number> {
  // Null-prototype: a tool name such as `constructor` or `__proto__` is an ordinary key here.
  const limits: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const flag of flags ?? []) {
    const match = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(flag);
    if (match === null || Number(match[2]) < 1) throw new WorkerUsageError(`--limit must be tool=N with N from 1 up, got "${flag}"`);
    limits[match[1]!] = Number(match[2]);
  }
  return limits;
}

/** `host:port` of a URL, never its password. */
function shownAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return url;
  }
}

/**
 * Runs the `worker` command until it is stopped.
 *
 * @param argv - the arguments after `worker`, such as `['--tools', 'tools.js', '--concurrency', '8']`.
 * @param io - `stdout`, `stderr`, `cwd`, `env`, and optionally `signal`.
 * @returns the exit code: 0 stopped, 1 the worker failed, 2 bad flags or input.
 * @example
 * ```ts
 * const code = await workerCommand(['--tools', 'tools.js'], { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
 * ```
 */
export async function workerCommand(argv: string[], io: WorkerCommandIo): Promise<number> {
  try {
    const flags = parse(argv);
    if (flags.help) {
      io.stdout.write(workerUsage);
      return 0;
    }
    if (flags.tools === undefined) throw new WorkerUsageError('worker needs --tools <module>');
    const concurrency = positiveInteger(flags.concurrency, '--concurrency') ?? 16;
    const lockDuration = positiveInteger(flags['lock-duration'], '--lock-duration');
    const stalledInterval = positiveInteger(flags['stalled-interval'], '--stalled-interval');
    const limits = limitsOf(flags.limit);
    const redis = flags.redis ?? io.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (!/^rediss?:\/\//.test(redis)) throw new WorkerUsageError(`--redis must be a redis:// URL, got "${redis}"`);
    const tools = await importTools(flags.tools, io.cwd, (message) => new WorkerUsageError(message));
    let adapter: typeof import('../adapters/bullmq/index.js');
    try {
      adapter = await import('../adapters/bullmq/index.js');
    } catch (error) {
      throw new WorkerUsageError(`worker needs the \`bullmq\` and \`ioredis\` packages (npm install bullmq ioredis): ${error instanceof Error ? error.message : String(error)}`);
    }
    let worker: ReturnType<typeof adapter.createBullMQWorker>;
    let lastError: string | undefined;
    try {
      worker = adapter.createBullMQWorker({
        connection: redis,
        tools,
        concurrency,
        limits,
        reportWorker: flags['report-worker'] === true,
        onError: (error) => {
          // While Redis is away every reconnection attempt fails the same way: say it once.
          if (error.message === lastError) return;
          lastError = error.message;
          io.stderr.write(`xstate-parallel-tools worker: ${error.message}\n`);
        },
        ...(flags.queue === undefined ? {} : { queueName: flags.queue }),
        ...(flags.name === undefined ? {} : { name: flags.name }),
        ...(lockDuration === undefined ? {} : { lockDuration }),
        ...(stalledInterval === undefined ? {} : { stalledInterval }),
      });
    } catch (error) {
      throw new WorkerUsageError(error instanceof Error ? error.message : String(error));
    }
    const stopped = new Promise<void>((resolveStop) => {
      if (io.signal !== undefined) {
        if (io.signal.aborted) resolveStop();
        else io.signal.addEventListener('abort', () => resolveStop(), { once: true });
        return;
      }
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    const first = await Promise.race([worker.ready.then(() => 'ready' as const), stopped.then(() => 'stopped' as const)]);
    if (first === 'ready') {
      const queue = flags.queue ?? 'xstate-parallel-tools';
      io.stderr.write(`worker ${worker.name} ready: ${tools.map((tool) => tool.name).join(', ')} from queue "${queue}" on ${shownAddress(redis)}, concurrency ${concurrency}\n`);
      await stopped;
    }
    if (io.signal !== undefined) {
      io.stderr.write(`worker ${worker.name} stopping: waiting for its running jobs\n`);
      await worker.close();
      return 0;
    }
    // A second signal stops at once: a graceful close waits for running jobs, and for Redis if it is away.
    io.stderr.write(`worker ${worker.name} stopping: waiting for its running jobs (signal again to stop at once)\n`);
    const again = new Promise<'again'>((resolveAgain) => {
      process.once('SIGINT', () => resolveAgain('again'));
      process.once('SIGTERM', () => resolveAgain('again'));
    });
    if ((await Promise.race([worker.close().then(() => 'closed' as const), again])) === 'closed') return 0;
    io.stderr.write(`worker ${worker.name} stopped at once, its running jobs abandoned (BullMQ gives them to another worker once their lock expires)\n`);
    // The connections BullMQ is still closing would keep the process alive: this is the process's end.
    process.exit(130);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    io.stderr.write(`xstate-parallel-tools: ${message}\n`);
    return error instanceof WorkerUsageError ? 2 : 1;
  }
}
