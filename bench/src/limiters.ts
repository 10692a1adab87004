/**
 * The concurrency limiters people reach for: p-limit, p-queue and Effect's
 * `forEach` with `concurrency`. Each runs the same async tool body.
 */
import { Effect } from 'effect';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { indices, timed, type System } from './job.js';

export const pLimitSystem: System = {
  prepare: ({ k, concurrency, body }) => {
    const input = indices(k);
    return {
      run: () =>
        timed(() => {
          const limit = pLimit(concurrency);
          return Promise.all(input.map((i) => limit(() => body(i))));
        }),
    };
  },
};

export const pQueueSystem: System = {
  prepare: ({ k, concurrency, body }) => {
    const tasks = indices(k).map((i) => () => body(i));
    return { run: () => timed(() => new PQueue({ concurrency }).addAll(tasks)) };
  },
};

export const effectSystem: System = {
  prepare: ({ k, concurrency, body }) => {
    const input = indices(k);
    // Only a body that takes a signal gets one (Effect then creates an AbortController per call).
    const run = body.length > 1 ? (i: number) => Effect.tryPromise((signal) => body(i, signal)) : (i: number) => Effect.tryPromise(() => body(i));
    const program = Effect.forEach(input, run, {
      concurrency: concurrency === Infinity ? 'unbounded' : concurrency,
    });
    return { run: () => timed(() => Effect.runPromise(program)) };
  },
};
