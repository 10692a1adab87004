/**
 * One `abort` listener per `AbortSignal`, shared by every run that watches it.
 *
 * Why: a request-scoped signal passed to 50 concurrent batches added 50
 * listeners to it, and Node printed `MaxListenersExceededWarning` past 10.
 * Here the first run to watch a signal adds one listener; the others join a
 * set; each run leaves the set when it ends, and the last one to leave
 * removes the listener, so nothing stays attached to a long-lived signal.
 */

interface Watchers {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const watched = new WeakMap<AbortSignal, Watchers>();

/**
 * Calls `callback` once when `signal` aborts, through the signal's one shared listener.
 *
 * @param signal - the signal to watch.
 * @param callback - called once on abort, in the order the watchers joined.
 * @returns a function that stops watching (idempotent); the last watcher to stop removes the listener.
 * @example
 * ```ts
 * const stop = onAbort(signal, () => actor.send({ type: 'batch.cancel' }));
 * // … when the run ends:
 * stop();
 * ```
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let watchers = watched.get(signal);
  if (watchers === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      watched.delete(signal);
      // A copy: a callback may stop watching (or start another run) while we go through them.
      for (const call of [...callbacks]) call();
      callbacks.clear();
    };
    watchers = { callbacks, listener };
    watched.set(signal, watchers);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = watchers;
  // A wrapper per watcher, so that one callback given twice is still called twice.
  const entry = (): void => callback();
  callbacks.add(entry);
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0) return;
    if (watched.get(signal)?.callbacks === callbacks) watched.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
