/**
 * The batch machine's data: its input, context, events, emitted progress
 * events and output. Kept apart from the chart to keep each file short;
 * machines/tool-batch.machine.ts re-exports every name.
 */
import type { BatchOptions, JoinPolicy, SettledResult, ToolCall, ToolFailure, ToolOutput } from '../src/core/schemas.js';
import type { AdmissionQueue } from './admission-queues.js';
import type { ToolCallSettledEvent } from './tool-call.machine.js';

/** What the batch machine is started with. */
export interface ToolBatchInput {
  calls: ToolCall[];
  options?: BatchOptions;
}

/** Where one call is in its life. */
export type SlotStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'aborted';

/** One call's slot: its outcome lands here, at the call's index. */
export interface Slot {
  status: SlotStatus;
  /** The lane (child id suffix) while running. */
  lane?: number;
  /** Which admission queue the call waits in (per-tool limits). */
  queue: number;
  output?: ToolOutput;
  failure?: ToolFailure;
  startedAt?: number;
  settledAt?: number;
}

/** The batch machine's context. Arrays here are owned by the machine and mutated in place. */
export interface ToolBatchContext {
  calls: ToolCall[];
  slots: Slot[];
  /** The running limit in effect: the `concurrency` option, or `unlimitedRunningCalls` for `Infinity`. */
  concurrency: number;
  policy: JoinPolicy;
  timeoutMs: number | undefined;
  queues: AdmissionQueue[];
  running: number;
  settled: number;
  failureCount: number;
  /** The index of the first failure in time, if any. */
  firstFailure: number | undefined;
  cancelled: boolean;
  /** Lanes whose child was reaped and whose id can be reused. */
  freeLanes: number[];
  laneCount: number;
}

/** Events the batch machine accepts. */
export type ToolBatchEvent = ToolCallSettledEvent | { type: 'batch.cancel' };

/** Progress events the batch machine emits (subscribe with `actor.on(type, fn)`). */
export type ToolBatchEmitted =
  /** `lane` is the concurrency slot (0 … concurrency−1 while every lane is busy) the call runs in: a timeline's row. */
  | { type: 'call.started'; index: number; id: string; name: string; lane: number; at: number }
  | {
      type: 'call.settled';
      index: number;
      id: string;
      name: string;
      status: 'succeeded' | 'failed' | 'aborted';
      at: number;
      failure?: ToolFailure;
    }
  | { type: 'batch.settled'; status: 'succeeded' | 'failed' | 'cancelled'; at: number };

/** The batch's result, a tagged union on `status`. */
export type ToolBatchOutput =
  | { status: 'succeeded'; outputs: ToolOutput[] }
  | { status: 'succeeded'; results: SettledResult[] }
  | { status: 'failed'; policy: JoinPolicy; failures: ToolFailure[]; outputs: Array<ToolOutput | undefined> }
  | { status: 'cancelled'; outputs: Array<ToolOutput | undefined> };
