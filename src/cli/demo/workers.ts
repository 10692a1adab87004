/**
 * `npm start -- --workers N`: the demo's tools run in N worker processes
 * (the CLI's `worker` command) through Redis, and the agent's batches reach
 * them through the BullMQ runner. Each worker reports `on worker-<n>` as its
 * calls' first progress, which the progress view shows on the call's line.
 *
 * Loaded only with `--workers`, so that the plain demo never needs `bullmq`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBullMQRunner } from '../../adapters/bullmq/index.js';
import { createToolRouter, type ToolRouter } from '../../runtime/tools.js';
import { startLocalRedis, type LocalRedis } from './local-redis.js';
import { createDemoTools } from './tools.js';

/** The demo's tools, run remotely: a router whose `runTool` is the runner's. */
export interface DemoWorkers {
  readonly router: ToolRouter;
  /** Where Redis is, for the demo's header. */
  readonly redisUrl: string;
  /** Closes the runner, stops the workers, and the local Redis if one was started. */
  stop(): Promise<void>;
}

/** Options of `startDemoWorkers`. */
export interface DemoWorkersOptions {
  workers: number;
  /** `REDIS_URL` is read from it. */
  env: Record<string, string | undefined>;
  /** Where the workers' own messages go. */
  log: (line: string) => void;
}

// The CLI and the tools module sit beside this file's folder as .ts under tsx and as .js once built.
const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const cliPath = fileURLToPath(new URL(`../cli${extension}`, import.meta.url));
const toolsModule = fileURLToPath(new URL(`./tools-module${extension}`, import.meta.url));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a worker process; `ready` resolves once it takes jobs. */
function startWorker(name: string, redisUrl: string, queue: string, log: (line: string) => void): { child: ChildProcess; ready: Promise<void> } {
  // fork() passes this process's execArgv on, so a worker runs TypeScript exactly when the demo does (under tsx).
  const child = fork(cliPath, ['worker', '--tools', toolsModule, '--redis', redisUrl, '--queue', queue, '--name', name, '--concurrency', '4', '--report-worker'], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        log(line);
        if (line.startsWith(`worker ${name} ready`)) resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited before it was ready (code ${code})`)));
  });
  return { child, ready };
}

/**
 * Starts Redis (unless `REDIS_URL` is set), N workers serving the demo tools, and a runner.
 *
 * @param options - `workers`, `env`, `log`.
 * @returns the router to run the agent with, and `stop()`.
 * @example
 * ```ts
 * const remote = await startDemoWorkers({ workers: 2, env: process.env, log: (line) => console.error(line) });
 * await runAgent({ model, router: remote.router, messages });
 * await remote.stop();
 * ```
 */
export async function startDemoWorkers(options: DemoWorkersOptions): Promise<DemoWorkers> {
  const external = options.env.REDIS_URL;
  const local: LocalRedis | undefined = external ? undefined : await startLocalRedis();
  const redisUrl = external ?? local!.url;
  // A queue of this run's own, so that jobs another demo left behind never reach these workers.
  const queue = `demo-${process.pid}-${Date.now()}`;
  const children: ChildProcess[] = [];
  const stopWorkers = async (): Promise<void> => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map(exited));
  };
  try {
    const started = Array.from({ length: options.workers }, (_, i) => startWorker(`worker-${i + 1}`, redisUrl, queue, options.log));
    children.push(...started.map((worker) => worker.child));
    await Promise.all(started.map((worker) => worker.ready));
  } catch (error) {
    await stopWorkers();
    await local?.stop();
    throw error;
  }
  const tools = createDemoTools();
  const runner = createBullMQRunner({ connection: redisUrl, queueName: queue, tools });
  // runAgent takes `tools` or `router` (no `runner` yet): a router whose invocation actor is the runner's
  // gives the model the same specs while every call runs on a worker.
  const described = createToolRouter(tools);
  const router: ToolRouter = {
    tools: described.tools,
    execute: described.execute,
    runTool: runner.runTool,
    get toolSpecs() {
      return described.toolSpecs;
    },
  };
  return {
    router,
    redisUrl,
    async stop() {
      await runner.close();
      await stopWorkers();
      await local?.stop();
    },
  };
}
