/**
 * `createBullMQRunner`: the invocation actor that runs each call as a BullMQ
 * job on a worker, in place of in-process execution. The batch statechart
 * does not change; only its `runTool` actor does.
 *
 * - **One job per call**, whose id comes from the call's idempotency key
 *   (`runId:callId`): a resumed run adds the same id, BullMQ keeps the job it
 *   has, and the runner collects its result, also when it finished while no
 *   orchestrator was running. Without a `runId` every call gets a fresh id.
 * - **Results, failures and progress** come back from the queue's event
 *   stream in the in-process shapes: a failure keeps its kind (the worker
 *   writes `{ kind, message }`), `job.updateProgress` becomes `call.progress`,
 *   and a call whose tool needs an approval comes back as the request, so
 *   that the batch asks for it; the approved call runs as a job of its own.
 * - **Retries** are the batch's, decided here as in-process (the tool's
 *   `retry` when `tools` are given, else the batch's `retry`); each attempt
 *   is a job of its own (`runId:callId#2`).
 * - **Cancellation crosses the wire.** When the call's signal aborts (a
 *   timeout, failFast, a cancel), the runner publishes the job id on the
 *   queue's cancel channel, where every worker listens and cancels the job
 *   with BullMQ's `worker.cancelJob` (the processor's signal, hence the
 *   tool's, aborts and the job ends failed as cancelled), and removes the
 *   job if it has not started. Cancels of one step go out as one message.
 * - **Redis going away never hangs a call**: after a reconnection every job
 *   still waited on is checked, and a Redis unreachable for longer than
 *   `redisTimeoutMs` fails the calls still running with an error naming it.
 */
import { createToolCallLogic, ToolCallError, type AnyTool, type ToolCall, type ToolCallLogic, type ToolExecutor, type ToolRunContext } from '../../index.js';
import { assertConnection, bullmqConnection, createRedisClient, describeConnection, type RedisConnection } from './connection.js';
import { assertLimits, assertMs, assertQueueName } from './checks.js';
import { showValue } from '../../core/describe.js';
import { openQueueChannel, type QueueChannel, type Waiter } from './queue-channel.js';
import { retryDelay } from '../../runtime/tools.js';
import { cancelChannel, cancelReasonOf, defaultPrefix, defaultQueueName, jobDataFor, jobIdFor, queueFor, type CancelMessage, type CancelReason } from './wire.js';
import type { Redis } from 'ioredis';
import { assertTracing, withTrace, type JobTracing } from './job-tracing.js';

/** Quits a client (its pending commands, such as cancels, are sent first), or drops it when Redis is away. */
async function closeClient(client: Redis, abandon: boolean): Promise<void> {
  if (abandon || client.status !== 'ready') client.disconnect();
  else await client.quit().catch(() => client.disconnect());
}

/** Options of `createBullMQRunner`. */
export interface BullMQRunnerOptions {
  /** The Redis server the queue lives on: a `redis://` URL or ioredis options. */
  connection: RedisConnection;
  /** The queue's name; workers must serve the same one. Default: `'xstate-parallel-tools'`. */
  queueName?: string;
  /** BullMQ's key prefix. Default: `'bull'`. */
  prefix?: string;
  /**
   * Cluster-wide limits by tool name: such a tool's jobs go to a queue of
   * their own (`<queueName>.<tool>`), whose global concurrency the workers
   * set. Give the workers the same limits. Default: `{}`.
   */
  limits?: Readonly<Record<string, number>>;
  /**
   * The tools the workers serve, when this process has them: a tool's own
   * `retry` then applies here, as in-process, and the runner waits for its
   * own `timeoutMs` instead of the batch's (the workers enforce a tool's own
   * `timeoutMs` either way; without `tools`, a tool's timeout longer than
   * the batch's is cut at the batch's). Default: none.
   */
  tools?: readonly AnyTool[];
  /** How long Redis may stay unreachable before the calls waiting on it fail, in ms. Default: `10_000`. */
  redisTimeoutMs?: number;
  /** How long finished jobs are kept for a resumed run to collect, in seconds. Default: `86_400` (a day). */
  retainSeconds?: number;
  /** Writes each call's trace context into its job (`bullmqTracing()` from xstate-parallel-tools/otel). Default: none. */
  tracing?: JobTracing;
}

/** A queue-backed runner: give it to `runToolBatch(calls, { runner })`. */
export interface BullMQRunner {
  /** The invocation actor logic: `toolBatchMachine.provide({ actors: { runTool } })`. */
  readonly runTool: ToolCallLogic;
  /** The queue calls go to (tools under a cluster-wide limit go to `<queueName>.<tool>`). */
  readonly queueName: string;
  /** Closes the runner's Redis connections; calls still waiting fail. */
  close(): Promise<void>;
}

/**
 * Creates a runner that runs each call as a BullMQ job on a worker.
 *
 * @param options - `connection`, and optionally `queueName`, `prefix`, `limits`, `tools`, `redisTimeoutMs`, `retainSeconds`.
 * @returns the runner: `runTool` for the batch, and `close()`.
 * @example
 * ```ts
 * const runner = createBullMQRunner({ connection: 'redis://127.0.0.1:6379' });
 * const outputs = await runToolBatch(calls, { runner, runId: 'run-1', concurrency: 64 });
 * await runner.close();
 * ```
 */
export function createBullMQRunner(options: BullMQRunnerOptions): BullMQRunner {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object with \`connection\`, got ${showValue(options)}`);
  const { connection, queueName = defaultQueueName, prefix = defaultPrefix, limits = {}, tools = [], redisTimeoutMs = 10_000, retainSeconds = 86_400, tracing } = options;
  assertConnection(connection);
  assertTracing(tracing);
  assertQueueName(queueName);
  assertQueueName(prefix, 'prefix');
  assertLimits(limits);
  assertMs(redisTimeoutMs, 'redisTimeoutMs');
  assertMs(retainSeconds, 'retainSeconds');
  if (!Array.isArray(tools)) throw new TypeError(`Expected \`tools\` to be an array of tools, got ${showValue(tools)}`);
  const byName = new Map(tools.map((tool) => [tool.name, tool]));

  const where = `Redis at ${describeConnection(connection)}`;
  const commands = createRedisClient(connection);
  const channels = new Map<string, QueueChannel>();
  const channelName = cancelChannel(prefix, queueName);
  let closed = false;
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
  };

  // Redis health, seen through the runner's own client: every connection of the runner goes down with it.
  let down = true;
  let connectedOnce = false;
  let downSince = Date.now();
  let downTimer: NodeJS.Timeout | undefined;
  const allWaiters = (): Waiter[] => [...channels.values()].flatMap((channel) => channel.waiters());
  const armDownTimer = (): void => {
    if (!down || downTimer !== undefined || closed) return;
    downTimer = setTimeout(() => {
      downTimer = undefined;
      if (!down) return;
      const seconds = Math.round((Date.now() - downSince) / 100) / 10;
      const why = lastError ? `: ${lastError.message}` : '';
      for (const waiter of allWaiters()) {
        waiter.settle({ ok: false, error: new ToolCallError('error', `${where} is unreachable (no connection for ${seconds} s)${why}`) });
      }
    }, redisTimeoutMs);
    downTimer.unref();
  };
  commands.on('error', onError);
  commands.on('close', () => {
    if (down) return;
    down = true;
    downSince = Date.now();
    if (allWaiters().length > 0) armDownTimer();
  });
  commands.on('ready', () => {
    const wasDown = down;
    down = false;
    if (downTimer !== undefined) clearTimeout(downTimer);
    downTimer = undefined;
    // A Redis that restarted may have lost jobs: every job still waited on is looked at again.
    if (wasDown && connectedOnce) for (const channel of channels.values()) void channel.reconcile();
    connectedOnce = true;
  });

  const channelFor = (tool: string): QueueChannel => {
    const name = queueFor(queueName, tool, limits);
    let channel = channels.get(name);
    if (channel === undefined) {
      channel = openQueueChannel({ name, prefix, connection: bullmqConnection(connection), commands, retainSeconds, where, onError });
      channels.set(name, channel);
    }
    return channel;
  };

  // Cancels of one step (failFast aborts every running call at once) go out as one message per reason.
  let cancels = new Map<string, CancelMessage>();
  const flushCancels = (): void => {
    const batch = cancels;
    cancels = new Map();
    for (const message of batch.values()) commands.publish(channelName, JSON.stringify(message)).catch(onError);
  };
  const cancel = (channel: QueueChannel, waiter: Waiter, reason: CancelReason): void => {
    if (cancels.size === 0) queueMicrotask(flushCancels);
    const key = `${reason.name}\n${reason.message}`;
    const message = cancels.get(key) ?? { ...reason, jobs: [] };
    message.jobs.push(waiter.timestamp === undefined ? { id: waiter.jobId } : { id: waiter.jobId, timestamp: waiter.timestamp });
    cancels.set(key, message);
    channel.removeIfWaiting(waiter.jobId);
  };

  const execute: ToolExecutor = (call: ToolCall, context: ToolRunContext) => {
    if (closed) throw new ToolCallError('error', 'the BullMQ runner is closed');
    const channel = channelFor(call.name);
    const { signal } = context;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        waiter.aborted = true;
        channel.forget(waiter);
        if (waiter.enqueued) cancel(channel, waiter, cancelReasonOf(signal.reason));
        reject(signal.reason);
      };
      const waiter: Waiter = {
        call,
        jobId: jobIdFor(context.idempotencyKey, context.attempt, context.approved),
        // Made here, while the call's span (when traced) is the active context.
        data: withTrace(jobDataFor(call, context), tracing),
        enqueued: false,
        aborted: false,
        settle(outcome) {
          signal.removeEventListener('abort', onAbort);
          channel.forget(waiter);
          if (outcome.ok) resolve(outcome.result);
          else reject(outcome.error);
        },
        progress: (update) => context.reportProgress(update),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void channel.enqueue(waiter).then(() => {
        // Aborted while the add was in flight: the job exists now, so cancel it.
        if (waiter.aborted && waiter.enqueued) cancel(channel, waiter, cancelReasonOf(signal.reason));
      });
      armDownTimer();
    });
  };

  return {
    runTool: createToolCallLogic(execute, {
      timeoutFor: (call) => byName.get(call.name)?.timeoutMs,
      retryFor: (call, failure, attempt, batchRetry) => retryDelay(byName.get(call.name)?.retry ?? batchRetry, failure, attempt),
    }),
    queueName,
    async close() {
      if (closed) return;
      closed = true;
      if (downTimer !== undefined) clearTimeout(downTimer);
      for (const waiter of allWaiters()) waiter.settle({ ok: false, error: new ToolCallError('error', 'the BullMQ runner was closed while the call was running') });
      if (cancels.size > 0) flushCancels();
      const abandon = down;
      await closeClient(commands, abandon);
      await Promise.allSettled([...channels.values()].map((channel) => channel.close(abandon)));
    },
  };
}
