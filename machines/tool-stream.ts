/**
 * Pulling a tool's stream: a tool whose `execute` is an async generator (or
 * returns any async iterable) streams partial results, one per `yield`.
 *
 * The rule for the call's result: the generator's return value; when it
 * returns nothing (`undefined`), the last value it yielded, as the AI SDK
 * reads a tool's stream. So an AI SDK tool that only yields gives its last
 * value, and a generator that returns a summary gives the summary.
 *
 * Everything the stream does is read defensively: `next` that throws or is
 * missing, a step that is not an object, a `done` getter that throws, all
 * end the call as an error through `failed`, never out of a callback. The
 * invocation actor (tool-call.machine.ts) owns the stream and calls
 * `closeStream` when the call stops, times out or fails on a bad partial, so
 * the generator's `finally` runs.
 */

/** What `pullStream` reports, one call per event; none after `isLive()` is false. */
export interface StreamSink {
  /** Whether the call still runs: a step that arrives after it stopped is dropped. */
  isLive(): boolean;
  /** A yielded value, the `count`th (from 1). Returns `false` to stop pulling (the partial failed the call). */
  partial(value: unknown, count: number): boolean;
  /** The stream ended: `result` follows the rule above. */
  done(result: unknown): void;
  /** The stream threw, rejected, or broke the iterator protocol. */
  failed(error: unknown): void;
}

/**
 * The iterator of an async iterable, from its `[Symbol.asyncIterator]` method.
 *
 * @throws `TypeError` when the method throws or gives something with no `next` function.
 */
export function openStream(iterable: unknown, method: (this: unknown) => unknown): AsyncIterator<unknown> {
  const iterator = method.call(iterable);
  if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function') || typeof (iterator as { next?: unknown }).next !== 'function') {
    throw new TypeError("The tool's async iterable gave an iterator without a `next` method");
  }
  return iterator as AsyncIterator<unknown>;
}

/**
 * Pulls `iterator` one value at a time, each after the last was handled, and
 * reports to `sink`. Never throws, and never leaves a rejection unobserved.
 */
export function pullStream(iterator: AsyncIterator<unknown>, sink: StreamSink): void {
  let count = 0;
  let last: unknown;
  const onStep = (step: unknown): void => {
    if (!sink.isLive()) return;
    let done: unknown;
    let value: unknown;
    try {
      if (step === null || typeof step !== 'object') throw new TypeError(`The tool's stream gave a step that is not an object: ${String(step)}`);
      ({ done, value } = step as IteratorResult<unknown>);
    } catch (error) {
      sink.failed(error);
      return;
    }
    if (done) {
      sink.done(value === undefined && count > 0 ? last : value);
      return;
    }
    count++;
    if (!sink.partial(value, count)) return;
    last = value;
    next();
  };
  const onError = (error: unknown): void => {
    if (sink.isLive()) sink.failed(error);
  };
  const next = (): void => {
    try {
      // Promise.resolve adopts a thenable step safely: a `then` that throws becomes a rejection.
      Promise.resolve(iterator.next()).then(onStep, onError);
    } catch (error) {
      onError(error);
    }
  };
  next();
}

/**
 * Asks the stream to stop, so an async generator runs its `finally`: it does
 * so at once when it waits at a `yield`, or at its next `yield` when it is
 * still working (its signal is aborted too, so a careful tool stops sooner).
 * Never throws; a rejection of `return()` is observed and dropped, as the
 * call already settled.
 */
export function closeStream(iterator: AsyncIterator<unknown>): void {
  try {
    const ended = iterator.return?.();
    if (ended !== undefined) Promise.resolve(ended).then(undefined, () => {});
  } catch {
    // A `return` that throws: the call settled already; there is nothing more to stop.
  }
}
