/**
 * Tools that hold each call until the test releases it, and count how many
 * calls of each tool run at once. Time is driven by these gates, not by timers.
 */
import { deferred, type Deferred } from '../../helpers/deferred.js';
export { deferred, type Deferred } from '../../helpers/deferred.js';

/** Records starts, aborts and concurrency of held calls. */
export interface Probe {
  /** Call ids in the order their tools started. */
  readonly started: string[];
  /** Per call id, the reason its signal was aborted with. */
  readonly aborted: Map<string, unknown>;
  /** The highest number of calls of each tool that ran at once. */
  readonly peak: Map<string, number>;
  /** The highest number of calls that ran at once, over all tools. */
  peakTotal(): number;
  /** Runs a call until `release(id)`, or until its signal aborts (then rejects with the reason). */
  hold(name: string, id: string, signal: AbortSignal): Promise<void>;
  /** Lets a held call finish. */
  release(id: string): void;
  /** Resolves once `count` calls have started. */
  whenStarted(count: number): Promise<void>;
}

/** Creates a probe. */
export function createProbe(): Probe {
  const started: string[] = [];
  const aborted = new Map<string, unknown>();
  const running = new Map<string, number>();
  const peak = new Map<string, number>();
  const gates = new Map<string, Deferred<void>>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let total = 0;
  let peakTotal = 0;

  const notify = (): void => {
    for (const waiter of waiters.filter((w) => started.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  return {
    started,
    aborted,
    peak,
    peakTotal: () => peakTotal,
    async hold(name, id, signal) {
      const now = (running.get(name) ?? 0) + 1;
      running.set(name, now);
      peak.set(name, Math.max(peak.get(name) ?? 0, now));
      peakTotal = Math.max(peakTotal, ++total);
      const gate = deferred<void>();
      gates.set(id, gate);
      const onAbort = (): void => {
        aborted.set(id, signal.reason);
        gate.reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      started.push(id);
      notify();
      try {
        await gate.promise;
      } finally {
        signal.removeEventListener('abort', onAbort);
        running.set(name, (running.get(name) ?? 1) - 1);
        total -= 1;
      }
    },
    release(id) {
      const gate = gates.get(id);
      if (gate === undefined) throw new Error(`call ${id} has not started`);
      gate.resolve();
    },
    whenStarted(count) {
      return new Promise<void>((resolve) => {
        waiters.push({ count, resolve });
        notify();
      });
    },
  };
}
