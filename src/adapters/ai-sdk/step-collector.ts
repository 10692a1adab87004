/**
 * Collects the `execute` calls that belong to one SDK step, so that they run
 * as one batch.
 *
 * The SDK calls `execute` once per tool call. The calls of one step all get
 * the same `messages` array (the step's input), which tells steps apart, even
 * two runs that share one tool set. The array does not hold the step's own
 * assistant message, so it cannot say how many calls are coming. It need not:
 * `generateText` and `streamText` (majors 6 and 7) start a step's calls
 * together, once the model's response is complete, within one turn of the
 * event loop. A step is taken as complete at the next timer turn; a call that
 * comes later starts a batch of its own.
 */

/**
 * Groups items by step and hands each group over at the next timer turn.
 *
 * @example
 * ```ts
 * const collector: StepCollector<PendingCall> = createStepCollector((calls) => void runStepBatch(calls, {}));
 * ```
 */
export interface StepCollector<T> {
  /** Adds one call to its step's group, keyed by the step's `messages` array. */
  add(step: unknown, item: T): void;
}

/**
 * Makes a collector.
 *
 * @param flush - receives each step's calls, in arrival order.
 * @returns the collector.
 * @example
 * ```ts
 * const collector = createStepCollector((calls) => runStep(calls));
 * collector.add(options.messages, call);
 * ```
 */
export function createStepCollector<T>(flush: (items: T[]) => void): StepCollector<T> {
  const open = new Map<unknown, T[]>();
  // A call without a `messages` array (a direct `execute` call) joins the others that lack one.
  const noStep = {};
  return {
    add(step, item) {
      const key = typeof step === 'object' && step !== null ? step : noStep;
      const items = open.get(key);
      if (items !== undefined) {
        items.push(item);
        return;
      }
      open.set(key, [item]);
      setTimeout(() => {
        const group = open.get(key) ?? [];
        open.delete(key);
        flush(group);
      }, 0);
    },
  };
}
