/**
 * What the orchestrator (run.ts) asks a measuring child process
 * (src/child.ts) for, and what the child prints back as one JSON line.
 */

/** The four figures of the report. */
export type Figure = 'overhead' | 'makespan' | 'memory' | 'failFast';

/** One child's task: one system, one figure. `concurrency: null` means no limit (N=∞). */
export interface ChildRequest {
  system: string;
  figure: Figure;
  concurrency: number | null;
  /** Batch sizes, for `overhead` (several) and `memory` (one). */
  ks: number[];
  /** Timed runs per measurement; the median is reported. */
  runs: number;
  /** Run each K up to 10,000 once untimed before its timed runs (on top of the process warm-up). */
  warmEachK: boolean;
  /** Untimed runs before a `makespan` measurement. Default: 10. */
  warmUps?: number;
  /**
   * Time budget of an `overhead` task: a K whose estimated time (the last
   * K's µs per call, grown by the last growth factor, times K times the runs)
   * exceeds what is left of it is not measured, nor any larger K.
   */
  budgetSeconds: number;
}

/** A K the budget left out, and why. */
export interface SkippedK {
  k: number;
  /** The estimated time of its runs. */
  estimateSeconds: number;
  /** What was left of the budget. */
  leftSeconds: number;
}

export interface OverheadPoint {
  k: number;
  /** Median µs per call. */
  median: number;
  /** Every timed run, µs per call. */
  runs: number[];
}

export interface MakespanResult {
  k: number;
  toolMs: number;
  idealMs: number;
  medianMs: number;
  runs: number[];
}

export interface MemoryResult {
  k: number;
  /** After imports and a full GC, before the input is built. */
  baselineHeapMB: number;
  baselineRssMB: number;
  /** Sampled every 1,024 calls and every 5 ms, and once after the batch settles with its results alive. */
  peakHeapMB: number;
  /** The process's maximum resident set size (`process.resourceUsage().maxRSS`). */
  peakRssMB: number;
  ms: number;
}

export interface FailFastRun {
  /** Time from the start until the system's promise settles. */
  ms: number;
  rejected: boolean;
  /** Calls started in all. */
  started: number;
  /** Calls started after the failing call failed (counted once everything is quiet). */
  startedAfter: number;
  /** Time from the start until the last call settled or was aborted. */
  quietMs: number;
}

export type ChildResponse =
  | { figure: 'overhead'; points: OverheadPoint[]; skipped: SkippedK[] }
  | { figure: 'makespan'; result: MakespanResult }
  | { figure: 'memory'; result: MemoryResult }
  | { figure: 'failFast'; runs: FailFastRun[] };
