/**
 * The clock `runToolBatch` installs in the actor system: real timers, plus a
 * `now()` in ms since the batch started, which the machines read for `at`.
 */

/** A clock whose `now()` the machines use for event times. `SimulatedClock` is one. */
export interface ClockWithNow {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
}

/**
 * A wall clock that counts from its creation.
 *
 * @example
 * ```ts
 * createActor(toolBatchMachine, { input, clock: createWallClock() });
 * ```
 */
export function createWallClock(): ClockWithNow {
  const origin = performance.now();
  return {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
    now: () => performance.now() - origin,
  };
}
