/**
 * The worker's end of the cancel channel: a subscription that hands each
 * cancelled job id to BullMQ's `worker.cancelJob` (which aborts the
 * processor's signal on the worker that runs it), and remembers recent
 * cancels for a minute, so that a job cancelled just before this worker took
 * it never starts its tool. A cancel names the job by id and creation time:
 * the same id added again later (a resumed run) is not cancelled by it.
 */
import type { Redis } from 'ioredis';
import { decodeCancel, type CancelReason } from './wire.js';

/** How long a cancel is remembered for jobs that had not started when it came. */
const rememberMs = 60_000;

/** A subscription to a cancel channel. */
export interface CancelListener {
  /** The cancel that came for this job (this id, created at this time) before it started, if any. */
  cancelledBefore(jobId: string, timestamp: number): CancelReason | undefined;
  /** Resolves once the subscription is active. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribes to a cancel channel.
 *
 * @param subscriber - a client for this subscription alone (a subscribed client can do nothing else).
 * @param channel - the channel name.
 * @param cancelRunning - cancels the job if it runs on this worker.
 * @param onError - receives the subscription's connection errors (while Redis is away).
 * @returns the listener.
 * @example
 * ```ts
 * const cancels = listenForCancels(createRedisClient(url), cancelChannel('bull', 'tools'), (jobId, reason) => running.get(jobId)?.(reason), console.error);
 * ```
 */
export function listenForCancels(
  subscriber: Redis,
  channel: string,
  cancelRunning: (jobId: string, reason: CancelReason) => void,
  onError: (error: Error) => void,
): CancelListener {
  subscriber.on('error', onError);
  const recent = new Map<string, { reason: CancelReason; timestamp: number | undefined; at: number }>();
  const forgetOld = (now: number): void => {
    // Insertion order is time order: stop at the first cancel still worth remembering.
    for (const [id, entry] of recent) {
      if (now - entry.at < rememberMs) break;
      recent.delete(id);
    }
  };
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const message = decodeCancel(text);
    if (message === undefined) return;
    const now = Date.now();
    forgetOld(now);
    const reason: CancelReason = { name: message.name, message: message.message };
    for (const { id, timestamp } of message.jobs) {
      recent.delete(id);
      recent.set(id, { reason, timestamp, at: now });
      cancelRunning(id, reason);
    }
  });
  // ioredis subscribes again by itself after a reconnection.
  const ready = subscriber.subscribe(channel).then(() => undefined);
  return {
    // Only the very job that was cancelled: a job added again under the same id (a later run) is another job.
    cancelledBefore: (jobId, timestamp) => {
      const entry = recent.get(jobId);
      return entry !== undefined && entry.timestamp === timestamp ? entry.reason : undefined;
    },
    ready,
    async close() {
      // quit() waits for commands queued while Redis is away, which may never come back.
      if (subscriber.status === 'ready') await subscriber.quit().catch(() => subscriber.disconnect());
      else subscriber.disconnect();
    },
  };
}
