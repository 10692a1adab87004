/**
 * The floors: plain `Promise.all` (no limit) and a worker pool of a few lines
 * (the floor with a limit). Neither stops on a failure: workers keep pulling.
 */
import { indices, timed, type System } from './job.js';

/**
 * The worker-pool loop people write by hand: `n` workers pull the next index
 * until none is left; results land at their index.
 */
export async function workerPool<R>(k: number, n: number, fn: (i: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(k);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < k) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, k) }, worker));
  return results;
}

export const promiseAll: System = {
  prepare: ({ k, body }) => {
    const input = indices(k);
    return { run: () => timed(() => Promise.all(input.map((i) => body(i)))) };
  },
};

export const workerPoolSystem: System = {
  prepare: ({ k, concurrency, body }) => ({ run: () => timed(() => workerPool(k, concurrency, (i) => body(i))) }),
};
