/**
 * A promise with its settle functions, for tests that decide exactly when
 * something settles, with no timers.
 */

/** A promise and the functions that settle it. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/**
 * Makes a deferred promise.
 *
 * @example
 * ```ts
 * const gate = deferred();
 * setTimeout(() => gate.resolve(), 0);
 * await gate.promise;
 * ```
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
