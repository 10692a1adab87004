/**
 * Time for the machines: they never read `Date.now()`, only the actor
 * system's clock, so `SimulatedClock` drives every `at` in tests.
 */
import type { ActorSystem, ActorSystemInfo } from 'xstate';

/**
 * The actor system clock's `now()`: `SimulatedClock` has one, and so does the
 * clock `runToolBatch` and `runAgent` install. `0` for a clock without one.
 *
 * @param system - the actor's system (`self.system`).
 * @returns milliseconds, in the clock's own origin.
 * @example
 * ```ts
 * emit(({ self }) => ({ type: 'batch.settled', status: 'succeeded', at: clockNow(self.system) }));
 * ```
 */
export function clockNow(system: ActorSystem<ActorSystemInfo>): number {
  // Optional chaining: graph traversal and hand-made actor scopes may carry a bare system.
  const clock = system._clock as { now?: () => number } | undefined;
  return typeof clock?.now === 'function' ? clock.now() : 0;
}
