/**
 * One queue as the runner sees it: the BullMQ `Queue` it adds jobs to, one
 * `QueueEvents` reader of the queue's event stream, and the calls waiting on
 * their jobs, by job id.
 *
 * Why events and not polling, and how nothing is missed:
 * - The reader starts from the stream's last entry as it was *before* any job
 *   was added (read with XREVRANGE), not from `$`, so a job that finishes
 *   before the reader's first blocking read is still seen.
 * - A job that already existed (a resumed run reattaching) is reported by
 *   BullMQ's add script as a `duplicated` event: only then is its state read,
 *   to collect a job that finished while no runner was watching. Fresh jobs
 *   cost no extra round trip.
 * - After Redis comes back, `reconcile()` reads the state of every job still
 *   waited on: a job Redis no longer has (a restart without persistence)
 *   fails its call with an error that names Redis, instead of waiting for
 *   an event that will never come.
 */
import { Job, Queue, QueueEvents, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { ToolCallError, type ToolCall, type ToolProgress } from '../../index.js';
import { decodeFailure, decodeResult, type ToolJobData } from './wire.js';

/** How a waited-on call ends. */
export type WaiterOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** One call waiting on its job. */
export interface Waiter {
  readonly call: ToolCall;
  readonly jobId: string;
  readonly data: ToolJobData;
  /** The add has been acknowledged by Redis. */
  enqueued: boolean;
  /** The job's creation time, as this runner added it (a job that existed already keeps its own). */
  timestamp?: number;
  /** The call's signal aborted: do not add, or cancel once added. */
  aborted: boolean;
  settle(outcome: WaiterOutcome): void;
  progress(update: ToolProgress): void;
}

/** What a channel needs from its runner. */
export interface QueueChannelOptions {
  name: string;
  prefix: string;
  connection: ConnectionOptions;
  /** The runner's own client, for reading the stream's last id. */
  commands: Redis;
  /** How long finished jobs are kept, in seconds (so that a resumed run can collect them). */
  retainSeconds: number;
  /** `Redis at host:port`, for messages. */
  where: string;
  /** Receives errors of the queue's connections, which BullMQ would otherwise throw as unhandled. */
  onError(error: Error): void;
}

/** A queue, its event reader and its waiters. */
export interface QueueChannel {
  readonly queue: Queue;
  /** Registers the waiter and adds its job (unless it aborted first). */
  enqueue(waiter: Waiter): Promise<void>;
  /** Stops waiting for a waiter's job (its call settled or aborted). */
  forget(waiter: Waiter): void;
  /** Removes a job if it has not started yet; a running or finished job is left alone. */
  removeIfWaiting(jobId: string): void;
  /** Reads the state of every job waited on, and settles those that finished or vanished. */
  reconcile(): Promise<void>;
  /** Every waiter, for failing them all. */
  waiters(): Waiter[];
  /** Closes the queue and the event reader; `abandon` drops their pending commands (Redis is away). */
  close(abandon: boolean): Promise<void>;
}

function isProgress(data: unknown): data is ToolProgress {
  return typeof data === 'object' && data !== null && typeof (data as { progress?: unknown }).progress === 'number';
}

/**
 * Opens a channel; the event reader starts at once, jobs are added once it is set up.
 *
 * @param options - the queue name, prefix, connection, the runner's client, retention, hooks.
 * @returns the channel.
 * @example
 * ```ts
 * const channel = openQueueChannel({ name: 'tools', prefix: 'bull', connection, commands, retainSeconds: 86_400, where, onError });
 * await channel.enqueue(waiter);
 * ```
 */
export function openQueueChannel(options: QueueChannelOptions): QueueChannel {
  const { name, prefix, connection, commands, where } = options;
  const queue = new Queue<ToolJobData>(name, { connection, prefix });
  queue.on('error', options.onError);
  const byJob = new Map<string, Set<Waiter>>();
  /** Removals this channel made itself (a cancelled job re-enqueued), whose `removed` events are expected. */
  const ownRemovals = new Set<string>();
  const jobOptions = (jobId: string): JobsOptions => ({
    jobId,
    removeOnComplete: { age: options.retainSeconds },
    removeOnFail: { age: options.retainSeconds },
  });
  let events: QueueEvents | undefined;
  let closing = false;
  let isReady = false;

  const settleAll = (jobId: string, outcome: () => WaiterOutcome): void => {
    const waiting = byJob.get(jobId);
    if (waiting === undefined) return;
    byJob.delete(jobId);
    for (const waiter of waiting) waiter.settle(outcome());
  };
  const failureError = (failedReason: string | undefined): ToolCallError => {
    const failure = decodeFailure(failedReason);
    return new ToolCallError(failure.kind, failure.message, failure.details === undefined ? {} : { details: failure.details });
  };
  const lost = (waiter: Waiter, what: string): ToolCallError =>
    new ToolCallError(
      'error',
      `${where} no longer has job ${waiter.jobId} of call ${waiter.call.id} (${waiter.call.name}): ${what}`,
    );

  const ready = (async () => {
    // The stream's last entry before any job of ours exists: reading from there misses nothing.
    const last = (await commands.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    if (closing) throw new Error('the queue channel was closed');
    events = new QueueEvents(name, { connection, prefix, lastEventId: last[0]?.[0] ?? '0-0' });
    events.on('error', options.onError);
    events.on('completed', ({ jobId, returnvalue }) => settleAll(jobId, () => ({ ok: true, result: decodeResult(returnvalue) })));
    events.on('failed', ({ jobId, failedReason }) => settleAll(jobId, () => ({ ok: false, error: failureError(failedReason) })));
    events.on('progress', ({ jobId, data }) => {
      if (!isProgress(data)) return;
      for (const waiter of byJob.get(jobId) ?? []) waiter.progress(data);
    });
    events.on('duplicated', ({ jobId }) => void inspect(jobId, 'reattached'));
    events.on('removed', ({ jobId }) => {
      if (ownRemovals.delete(jobId)) return;
      for (const waiter of byJob.get(jobId) ?? []) {
        if (waiter.enqueued) waiter.settle({ ok: false, error: lost(waiter, 'it was removed from the queue before it finished') });
      }
    });
    await events.waitUntilReady();
    isReady = true;
  })();
  // A failure here reaches every enqueue; this handler only keeps it from being unhandled.
  ready.catch(() => {});

  /** Reads one job's state and settles its waiters if it finished, vanished, or was cancelled (then it runs again). */
  const inspect = async (jobId: string, why: 'reattached' | 'reconcile'): Promise<void> => {
    if (!byJob.has(jobId)) return;
    try {
      const state = await queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed') {
        const job = await Job.fromId<ToolJobData>(queue, jobId);
        if (job === undefined) return settleAll(jobId, () => ({ ok: false, error: new ToolCallError('error', `job ${jobId} finished and was removed before its result was read`) }));
        if (state === 'completed') return settleAll(jobId, () => ({ ok: true, result: decodeResult(job.returnvalue) }));
        const failure = decodeFailure(job.failedReason);
        if (!failure.cancelled) return settleAll(jobId, () => ({ ok: false, error: failureError(job.failedReason) }));
        // An earlier run cancelled this job (failFast, timeout, cancel): this run wants it done, so it runs again.
        const waiter = [...(byJob.get(jobId) ?? [])][0];
        if (waiter === undefined) return;
        ownRemovals.add(jobId);
        await queue.remove(jobId);
        waiter.timestamp = (await queue.add(waiter.call.name, waiter.data, jobOptions(jobId))).timestamp;
        return;
      }
      if (state === 'unknown' && why === 'reconcile') {
        for (const waiter of byJob.get(jobId) ?? []) {
          if (waiter.enqueued) waiter.settle({ ok: false, error: lost(waiter, 'Redis restarted or dropped its data while the call was queued or running') });
        }
      }
    } catch (error) {
      options.onError(error instanceof Error ? error : new Error(String(error)));
    }
  };

  return {
    queue,
    async enqueue(waiter) {
      let set = byJob.get(waiter.jobId);
      if (set === undefined) byJob.set(waiter.jobId, (set = new Set()));
      set.add(waiter);
      try {
        // Once set up, the add goes out in the same tick as the call starts.
        if (!isReady) await ready;
        if (waiter.aborted) return;
        const job = await queue.add(waiter.call.name, waiter.data, jobOptions(waiter.jobId));
        waiter.timestamp = job.timestamp;
        waiter.enqueued = true;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        waiter.settle({ ok: false, error: new ToolCallError('error', `could not enqueue call ${waiter.call.id} (${waiter.call.name}) on ${where}: ${reason}`) });
      }
    },
    forget(waiter) {
      const set = byJob.get(waiter.jobId);
      if (set === undefined) return;
      set.delete(waiter);
      if (set.size === 0) byJob.delete(waiter.jobId);
    },
    removeIfWaiting(jobId) {
      // BullMQ refuses to remove a locked (running) job: that one is cancelled on its worker instead.
      ownRemovals.add(jobId);
      queue.remove(jobId).then(
        (removed) => {
          if (removed !== 1) ownRemovals.delete(jobId);
        },
        () => ownRemovals.delete(jobId),
      );
    },
    async reconcile() {
      await Promise.all([...byJob.keys()].map((jobId) => inspect(jobId, 'reconcile')));
    },
    waiters() {
      return [...byJob.values()].flatMap((set) => [...set]);
    },
    async close(abandon) {
      // Not waiting for `ready`: a command sent while Redis was away may never settle (ioredis keeps it
      // queued even after a disconnect), and an event reader made later sees `closing` and is not made.
      closing = true;
      // Closing waits for pending replies, which a Redis that is away never sends: the backend's
      // forced close drops them (the queue's own close then finds its backend closed).
      if (abandon) await Promise.allSettled([events?.getBackend().close(true), queue.getBackend().close(true)]);
      await Promise.allSettled([events?.close(), queue.close()]);
    },
  };
}
