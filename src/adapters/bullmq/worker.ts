/**
 * `createBullMQWorker`: serves `defineTool` tools from the runner's queue, in
 * as many processes as you like, each with its own concurrency.
 *
 * - One BullMQ `Worker` for the shared queue, and one per tool with a
 *   cluster-wide limit (`<queueName>.<tool>`), whose limit is stored in Redis
 *   with BullMQ's `queue.setGlobalConcurrency(limit)`: BullMQ then hands out
 *   at most `limit` of that queue's jobs at once, across every worker of
 *   every process, whatever each one's own concurrency.
 * - Calls run through `createToolRouter(tools).execute` (see tool-job.ts),
 *   under the tool's own `timeoutMs`, which the worker enforces: the runner
 *   needs no `tools` for it.
 * - The worker listens on the queue's cancel channel and cancels the jobs it
 *   runs: the tool's `AbortSignal` aborts (a `TimeoutError` or an
 *   `AbortError`, as in-process) and the job ends failed as cancelled,
 *   without waiting for a tool that ignores its signal. BullMQ 6 has a
 *   cancellation API of its own, `worker.cancelJob(id, reason)`, which aborts
 *   the processor's signal in the worker's own process; it is not used
 *   because enabling it (a processor that takes BullMQ's `signal`) costs an
 *   AbortController and a listener for every job (11–17 µs on Node 20 here),
 *   where a map of the jobs this process runs, by id, costs next to nothing.
 * - A worker that dies mid-job leaves a job whose lock expires; BullMQ's
 *   stalled-job check (every `stalledInterval`) gives it to another worker,
 *   and the tool sees the same `idempotencyKey` there.
 */
import { hostname } from 'node:os';
import { Queue, Worker, type Job } from 'bullmq';
import { createToolRouter, type AnyTool } from '../../index.js';
import { assertConnection, bullmqConnection, createRedisClient, type RedisConnection } from './connection.js';
import { assertCount, assertLimits, assertMs, assertQueueName } from './checks.js';
import { showValue } from '../../core/describe.js';
import { listenForCancels } from './cancel-listener.js';
import { failJob, runToolJob } from './tool-job.js';
import { assertTracing, jobFailureOf, type JobTracing } from './job-tracing.js';
import { callOf, cancelChannel, defaultPrefix, defaultQueueName, toolQueueName, type CancelReason, type ToolJobData } from './wire.js';

/** Options of `createBullMQWorker`. */
export interface BullMQWorkerOptions {
  /** The Redis server: a `redis://` URL or ioredis options. */
  connection: RedisConnection;
  /** The tools to serve (from `defineTool`); names must be unique. */
  tools: readonly AnyTool[];
  /** The most jobs this process runs at once, per queue. Default: `16`. */
  concurrency?: number;
  /** The queue to serve: the runner's. Default: `'xstate-parallel-tools'`. */
  queueName?: string;
  /** BullMQ's key prefix. Default: `'bull'`. */
  prefix?: string;
  /** Cluster-wide limits by tool name, as given to the runner. Default: `{}`. */
  limits?: Readonly<Record<string, number>>;
  /** This worker's name, in BullMQ and in `reportWorker` progress. Default: `<hostname>:<pid>`. */
  name?: string;
  /** Report `on <name>` as a call's first progress, so that a progress view shows where each call ran. Default: `false`. */
  reportWorker?: boolean;
  /** How long a job's lock lasts without renewal, in ms: a dead worker's job is given to another after it. Default: `30_000` (BullMQ's). */
  lockDuration?: number;
  /** How often this worker looks for stalled jobs, in ms. Default: `30_000` (BullMQ's). */
  stalledInterval?: number;
  /** Times a job may stall (its worker died) before it fails. Default: `1` (BullMQ's). */
  maxStalledCount?: number;
  /** Receives the errors BullMQ reports (a lost connection, a lost lock). Default: `console.error`. */
  onError?: (error: Error) => void;
  /** Runs each job in the trace context its runner wrote (`bullmqTracing()` from xstate-parallel-tools/otel). Default: none. */
  tracing?: JobTracing;
}

/** A running worker. */
export interface BullMQToolWorker {
  /** Its name. */
  readonly name: string;
  /** Resolves once it listens for cancels and takes jobs. */
  readonly ready: Promise<void>;
  /**
   * Stops taking jobs and closes its connections; waits for running jobs unless `force`.
   * While Redis is unreachable, BullMQ's own close waits for it to come back.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * Starts a worker that serves tools from the queue.
 *
 * @param options - `connection`, `tools`, and optionally `concurrency`, `queueName`, `prefix`,
 *   `limits`, `name`, `reportWorker`, `lockDuration`, `stalledInterval`, `maxStalledCount`, `onError`.
 * @returns the worker: await `ready`, call `close()` to stop.
 * @example
 * ```ts
 * const worker = createBullMQWorker({ connection: 'redis://127.0.0.1:6379', tools: [weather], concurrency: 32 });
 * await worker.ready;
 * process.once('SIGTERM', () => void worker.close());
 * ```
 */
export function createBullMQWorker(options: BullMQWorkerOptions): BullMQToolWorker {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object with \`connection\` and \`tools\`, got ${showValue(options)}`);
  const { connection, tools, concurrency = 16, queueName = defaultQueueName, prefix = defaultPrefix, limits = {}, reportWorker = false, tracing } = options;
  assertTracing(tracing);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const onError = options.onError ?? ((error: Error) => console.error(`xstate-parallel-tools worker ${name}: ${error.message}`));
  assertConnection(connection);
  assertCount(concurrency, 'concurrency');
  assertQueueName(queueName);
  assertQueueName(prefix, 'prefix');
  assertLimits(limits);
  if (typeof name !== 'string' || name === '') throw new TypeError(`Expected \`name\` to be a non-empty string, got ${showValue(name)}`);
  for (const field of ['lockDuration', 'stalledInterval'] as const) if (options[field] !== undefined) assertMs(options[field], field);
  if (options.maxStalledCount !== undefined) assertCount(options.maxStalledCount, 'maxStalledCount');
  const router = createToolRouter(tools);

  const workers: Worker<ToolJobData>[] = [];
  /** How to cancel each job running in this process, by job id. */
  const running = new Map<string, (reason: CancelReason) => void>();
  const cancels = listenForCancels(createRedisClient(connection), cancelChannel(prefix, queueName), (jobId, reason) => running.get(jobId)?.(reason), onError);

  const limited = new Map(Object.entries(limits).filter(([tool]) => router.tools.has(tool)));
  const processorFor = (sharedQueue: boolean) =>
    // One parameter: BullMQ then makes no AbortController of its own for the job (see the header).
    async (job: Job<ToolJobData>): Promise<unknown> => {
      const early = job.id === undefined ? undefined : cancels.cancelledBefore(job.id, job.timestamp);
      if (early !== undefined) throw failJob({ kind: early.name === 'TimeoutError' ? 'timeout' : 'aborted', message: early.message, cancelled: true });
      const tool = job.data.call.name;
      if (sharedQueue && limited.has(tool)) {
        throw failJob({
          kind: 'error',
          message: `the tool "${tool}" has a cluster-wide limit and is served on the queue "${toolQueueName(queueName, tool)}": give the runner the same \`limits\` as the workers`,
        });
      }
      const id = job.id!;
      const track = (cancel: (reason: CancelReason) => void) => {
        running.set(id, cancel);
        return () => running.delete(id);
      };
      // The tool's own timeout holds here, whatever the runner knows of the tool.
      const timeoutMs = router.tools.get(tool)?.timeoutMs;
      const run = () =>
        runToolJob(job, {
          execute: router.execute,
          track,
          onError,
          ...(reportWorker ? { announce: `on ${name}` } : {}),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        });
      if (tracing === undefined) return run();
      const { data } = job;
      return tracing.process({ headers: data.trace, queueName: job.queueName, jobId: id, call: callOf(data), attempt: data.attempt ?? 1, failureOf: jobFailureOf }, run);
    };
  const workerOptions = (queueConcurrency: number) => ({
    connection: bullmqConnection(connection),
    prefix,
    name,
    concurrency: queueConcurrency,
    autorun: false,
    ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
    ...(options.stalledInterval === undefined ? {} : { stalledInterval: options.stalledInterval }),
    ...(options.maxStalledCount === undefined ? {} : { maxStalledCount: options.maxStalledCount }),
  });
  workers.push(new Worker<ToolJobData>(queueName, processorFor(true), workerOptions(concurrency)));
  for (const [tool, limit] of limited) {
    workers.push(new Worker<ToolJobData>(toolQueueName(queueName, tool), processorFor(false), workerOptions(Math.min(limit, concurrency))));
  }
  for (const worker of workers) worker.on('error', onError);

  const ready = (async () => {
    // The limits are in Redis before this worker takes a job of a limited tool.
    for (const [tool, limit] of limited) {
      const queue = new Queue(toolQueueName(queueName, tool), { connection: bullmqConnection(connection), prefix });
      queue.on('error', onError);
      try {
        await queue.setGlobalConcurrency(limit);
      } finally {
        await queue.close();
      }
    }
    await cancels.ready;
    for (const worker of workers) worker.run().catch(onError);
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  })();

  let closing: Promise<void> | undefined;
  return {
    name,
    ready,
    close({ force = false } = {}) {
      closing ??= (async () => {
        await ready.catch(() => {});
        await Promise.allSettled(workers.map((worker) => worker.close(force)));
        await cancels.close();
      })();
      return closing;
    },
  };
}
