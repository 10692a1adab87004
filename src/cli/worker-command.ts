/**
 * `xstate-parallel-tools worker --tools <module>`: serves a tools module's
 * tools from a BullMQ queue until SIGINT or SIGTERM (or `io.signal`). Then it
 * stops taking jobs, lets running jobs finish (for `--grace` ms at most),
 * closes its BullMQ and Redis connections, calls the module's own `close()`
 * or `dispose()` export, and exits: 0 when its jobs finished, 1 when the
 * grace period ran out. A process stopped by a signal exits then whatever
 * the module still holds open (a database client, a keep-alive agent), as a
 * process manager expects. Bad flags or a module without tools exit 2 with
 * one line on stderr.
 *
 * `bullmq` and `ioredis` are optional peers: they are loaded only when this
 * command runs, with a message saying what to install when they are missing.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
                               [--lock-duration ms] [--stalled-interval ms] [--grace ms]

defaults: --redis $REDIS_URL or redis://127.0.0.1:6379, --queue xstate-parallel-tools, --concurrency 16, --name <host>:<pid>,
          --grace 25000 (how long running jobs may take to finish once it is told to stop)

On SIGINT or SIGTERM it stops taking jobs, waits for its running jobs (at most --grace ms), closes
its connections, calls the tools module's exported close() or dispose(), and exits.
`;

/**
 * How long running jobs may take to finish after a stop, by default: under
 * the 30 s a process manager such as Kubernetes waits before it kills.
 */
const defaultGraceMs = 25_000;

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
        grace: { type: 'string' },
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

/** The tools module's own cleanup: its exported `close()`, else `dispose()`. */
async function moduleCloser(path: string, cwd: string): Promise<(() => unknown) | undefined> {
  // The module `importTools` has just loaded: the same instance, from the module cache.
  const module = (await import(/* @vite-ignore */ pathToFileURL(resolve(cwd, path)).href)) as Record<string, unknown>;
  const hook = typeof module.close === 'function' ? module.close : module.dispose;
  return typeof hook === 'function' ? () => (hook as () => unknown)() : undefined;
}

/** Resolves with `value` after `ms`, on a timer that keeps nothing alive. */
function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolveAfter) => setTimeout(resolveAfter, ms, value).unref());
}

/** Resolves on the process's next SIGINT or SIGTERM, when the process's signals stop the worker. */
function nextSignal(io: WorkerCommandIo): Promise<'again'> {
  if (io.signal !== undefined) return new Promise(() => {});
  return new Promise((resolveAgain) => {
    process.once('SIGINT', () => resolveAgain('again'));
    process.once('SIGTERM', () => resolveAgain('again'));
  });
}

/**
 * Stops a worker: no new jobs, running jobs finish within `graceMs` (a second
 * signal stops at once), then the worker's connections and the module's own close.
 *
 * @returns 0 when the running jobs finished, 1 when they were abandoned.
 */
async function stop(worker: { name: string; close(options?: { force?: boolean }): Promise<void> }, closeModule: (() => unknown) | undefined, graceMs: number, io: WorkerCommandIo): Promise<number> {
  const started = Date.now();
  const again = io.signal === undefined ? '; signal again to stop at once' : '';
  io.stderr.write(`worker ${worker.name} stopping: waiting for its running jobs (at most ${graceMs} ms${again})\n`);
  const outcome = await Promise.race([worker.close().then(() => 'closed' as const), after(graceMs, 'grace' as const), nextSignal(io)]);
  let code = 0;
  if (outcome !== 'closed') {
    const why = outcome === 'grace' ? `its running jobs did not finish within ${graceMs} ms` : 'a second signal';
    io.stderr.write(`worker ${worker.name} stopped after ${why}: its running jobs are abandoned (BullMQ gives them to another worker once their lock expires)\n`);
    // Its connections go without waiting for the jobs, or for a Redis that is away.
    void worker.close({ force: true }).catch(() => {});
    code = 1;
  }
  if (closeModule !== undefined) {
    // The module's close gets what is left of the grace period (a moment at least), and no more.
    const left = Math.max(graceMs - (Date.now() - started), 1_000);
    try {
      const closed = await Promise.race([Promise.resolve().then(closeModule).then(() => 'closed' as const), after(left, 'grace' as const)]);
      if (closed === 'grace') io.stderr.write(`worker ${worker.name}: the tools module's close did not finish within ${left} ms\n`);
    } catch (error) {
      io.stderr.write(`worker ${worker.name}: the tools module's close failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  io.stderr.write(`worker ${worker.name} stopped\n`);
  return code;
}

/**
 * Runs the `worker` command until it is stopped.
 *
 * @param argv - the arguments after `worker`, such as `['--tools', 'tools.js', '--concurrency', '8']`.
 * @param io - `stdout`, `stderr`, `cwd`, `env`, and optionally `signal`.
 * @returns the exit code: 0 stopped, 1 the worker failed or its jobs were abandoned, 2 bad flags or input.
 *   Stopped by the process's SIGINT or SIGTERM (no `io.signal`), it ends the process with that code instead.
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
    const graceMs = positiveInteger(flags.grace, '--grace') ?? defaultGraceMs;
    const tools = await importTools(flags.tools, io.cwd, (message) => new WorkerUsageError(message));
    const closeModule = await moduleCloser(flags.tools, io.cwd);
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
      const onSignal = (): void => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolveStop();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    const first = await Promise.race([worker.ready.then(() => 'ready' as const), stopped.then(() => 'stopped' as const)]);
    if (first === 'ready') {
      const queue = flags.queue ?? 'xstate-parallel-tools';
      io.stderr.write(`worker ${worker.name} ready: ${tools.map((tool) => tool.name).join(', ')} from queue "${queue}" on ${shownAddress(redis)}, concurrency ${concurrency}\n`);
      await stopped;
    }
    const code = await stop(worker, closeModule, graceMs, io);
    if (io.signal !== undefined) return code;
    // A module may still hold a connection it did not close (a client, a keep-alive agent): the stop is the process's end.
    process.exit(code);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    io.stderr.write(`xstate-parallel-tools: ${message}\n`);
    return error instanceof WorkerUsageError ? 2 : 1;
  }
}
