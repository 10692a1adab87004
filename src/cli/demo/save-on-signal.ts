/**
 * What `--run-id` does on Ctrl-C or SIGTERM: the process exits only once the
 * checkpoint it is writing, and the newer one queued behind it, are on disk.
 *
 * Why: Node's default SIGINT exits at once. A call that settled just before
 * the signal had its checkpoint still in flight, and the resumed run executed
 * that call again. The store is wrapped so that the signal handler can wait
 * for every save under way, and for the one a finished save starts next.
 */
import type { RunStore } from '../../runtime/run-store.js';

/** A store that knows its saves under way. */
export interface TrackedStore extends RunStore {
  /** Resolves once no save is under way, including saves started while waiting. */
  idle(): Promise<void>;
}

/**
 * Wraps a store so that `idle()` waits for its saves.
 *
 * @param store - the store to wrap.
 * @returns the same store, with `idle()`.
 * @example
 * ```ts
 * const store = trackSaves(createFileStore('out/runs'));
 * await store.idle();
 * ```
 */
export function trackSaves(store: RunStore): TrackedStore {
  const pending = new Set<Promise<void>>();
  return {
    load: (runId) => store.load(runId),
    delete: (runId) => store.delete(runId),
    lease: (runId, options) => store.lease(runId, options),
    save(runId, checkpoint) {
      const saving: Promise<void> = store.save(runId, checkpoint).finally(() => pending.delete(saving));
      pending.add(saving);
      return saving;
    },
    async idle() {
      // A finished save's handlers run before allSettled's: a save they start is in `pending` by then.
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

/** The signals a run is saved on, and the exit code of each (128 + the signal's number). */
const exitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * On SIGINT or SIGTERM, says so, waits until `store` is idle, says where to
 * resume, and exits with 130 or 143.
 *
 * @param store - the run's store.
 * @param runId - the run, for the message.
 * @param log - where the lines go.
 * @param exit - ends the process. Default: `process.exit`.
 * @returns a function that removes the handlers.
 * @example
 * ```ts
 * const stop = saveOnSignal(store, 'demo-1', (line) => process.stderr.write(`${line}\n`));
 * ```
 */
export function saveOnSignal(
  store: TrackedStore,
  runId: string,
  log: (line: string) => void,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const handlers = (Object.keys(exitCodes) as Array<keyof typeof exitCodes>).map((signal) => {
    const handler = (): void => {
      log(`${signal}: saving the checkpoint of run ${runId}`);
      void store.idle().then(() => {
        log(`saved: start again with --run-id ${runId} to resume`);
        exit(exitCodes[signal]);
      });
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
