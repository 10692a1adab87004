/**
 * The job every system does, and the tools it runs: K calls `{ i }` of one
 * tool, at most `concurrency` at once, results in input order.
 */

/**
 * A tool's body: gets the call's index (its only argument) and an abort
 * signal when the system gives one. A body declared with one parameter does
 * not read the signal, and the adapters then do not ask for one.
 */
export type ToolBody = (i: number, signal?: AbortSignal) => Promise<number>;

/** One measurement's job. */
export interface Job {
  /** Number of calls. */
  k: number;
  /** Most calls at once; `Infinity` for no limit. */
  concurrency: number;
  body: ToolBody;
}

/** What one timed run produced. */
export interface Outcome {
  /** The measured time in ms (the whole call, or the tool-execution part where the system is a full agent loop). */
  ms: number;
  /** Whether the system's promise rejected (failFast), rather than resolving with errors in its results. */
  rejected: boolean;
  /** Each call's result, in the order the system returned them, read after the clock stopped (`undefined` on rejection). */
  values: readonly unknown[] | undefined;
}

/** A system prepared for one job: the input is built once, `run` runs the job once. */
export interface Prepared {
  run(): Promise<Outcome>;
}

/** A system under test (its name and traits are in ../catalog.ts). */
export interface System {
  prepare(job: Job): Promise<Prepared> | Prepared;
}

/** The no-op tool: resolves with its index at once. */
export const noopBody: ToolBody = async (i) => i;

/** A tool that takes `ms` of real time (a `setTimeout`), and stops early when aborted. */
export function sleepBody(ms: number): ToolBody {
  return (i, signal) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(i);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}

/** The failFast scenario's tool: call 0 fails after `failMs`, every other call takes `okMs`; it records when each call starts. */
export function failFastBody(failMs: number, okMs: number): { body: ToolBody; starts: number[]; failedAt: () => number } {
  const starts: number[] = [];
  let failedAt = Infinity;
  const ok = sleepBody(okMs);
  const body: ToolBody = (i, signal) => {
    starts.push(performance.now());
    if (i !== 0) return ok(i, signal);
    return new Promise((_, reject) =>
      setTimeout(() => {
        failedAt = performance.now();
        reject(new Error(`call ${i} failed`));
      }, failMs),
    );
  };
  return { body, starts, failedAt: () => failedAt };
}

/** The calls as `{ id, i }`, the common input every adapter turns into its own format. */
export function indices(k: number): number[] {
  return Array.from({ length: k }, (_, i) => i);
}

/** Times one promise-returning run of a system that is measured end to end. */
export async function timed(run: () => Promise<readonly unknown[]>): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const values = await run();
    return { ms: performance.now() - t0, rejected: false, values };
  } catch {
    return { ms: performance.now() - t0, rejected: true, values: undefined };
  }
}
