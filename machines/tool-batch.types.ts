/**
 * The batch machine's data: its input, context, events, emitted progress
 * events and output. Kept apart from the chart to keep each file short;
 * machines/tool-batch.machine.ts re-exports every name.
 */
import type { BatchOptions, JoinPolicy, RetryOptions, SettledResult, ToolCall, ToolFailure, ToolOutput } from '../src/core/schemas.js';
import type { AdmissionQueue } from './admission-queues.js';
import type { SettlementLog } from './settlement-log.js';
import type { ToolCallApprovalEvent, ToolCallPartialEvent, ToolCallProgressEvent, ToolCallSettledEvent } from './tool-call.machine.js';
import type { AwaitingApprovalEvent } from './approval-gate.js';

/** What the batch machine is started with. */
export interface ToolBatchInput {
  calls: readonly ToolCall[];
  options?: BatchOptions;
  /**
   * Send every progress event (`call.started`, `call.progress`, `call.partial`, `call.settled`,
   * `batch.settled`) to the parent actor too, from the first admission on. An
   * invoking machine cannot catch the first emitted events (they happen while
   * the child starts, before `.on()` can be called), but it receives these. Default: `false`.
   */
  notifyParent?: boolean;
  /**
   * A durable run's id: each call's tool then gets `idempotencyKey`
   * `${runId}:${call.id}`, the same on every re-run after a resume. Default: none.
   */
  runId?: string;
}

/**
 * The batch machine's context: a value. No action changes it or anything it
 * reaches; each step builds what changed and shares the rest, so a snapshot
 * (or persisted snapshot) taken at any moment never changes afterwards. Every
 * field survives `JSON.stringify` (no `Infinity`, no `undefined` that matters).
 */
export interface ToolBatchContext {
  /** What the batch was started with, resolved once; no step changes it. */
  readonly config: {
    readonly calls: readonly ToolCall[];
    readonly policy: JoinPolicy;
    /** The running limit in effect: the `concurrency` option, or `unlimitedRunningCalls` for `Infinity`. */
    readonly concurrency: number;
    /** The per-call timeout; `null` when there is none (`Infinity` or above the longest timer). */
    readonly timeoutMs: number | null;
    readonly notifyParent: boolean;
    /** The durable run's id, or `null`. */
    readonly runId: string | null;
    /** The clock's time when the batch started: every `at` counts from here. */
    readonly origin: number;
    /** The batch's default retries, or `null`. */
    readonly retry: RetryOptions | null;
  };
  readonly queues: readonly AdmissionQueue[];
  /** Per lane, the index of the call it runs, or `null` when free. Lane `k` runs the child with id `'k'`. */
  readonly lanes: readonly (number | null)[];
  readonly running: number;
  readonly settled: number;
  readonly failureCount: number;
  /** The index of the first failure in time, or `null`. */
  readonly firstFailure: number | null;
  readonly cancelled: boolean;
  /** Every settlement so far, in the order they happened. */
  readonly settlements: SettlementLog;
  /** The calls the last step that admitted or settled calls started, in order (it announces them as `call.started`). */
  readonly admitted: readonly number[];
  /** Calls waiting for an approval: they hold no lane. */
  readonly awaiting: readonly number[];
  /** Calls that were approved: they run without asking again. */
  readonly approved: readonly number[];
  /** Calls backing off before their next attempt: they hold no lane. */
  readonly retrying: readonly number[];
  /** Approved or retry-due calls waiting for a lane; admitted before queued calls, FIFO by index. */
  readonly ready: readonly number[];
  /** Queued calls that `call.cancel` settled before they started: admission skips them. */
  readonly withdrawn: readonly number[];
  /** The attempt number of each call that was retried (2 for its second run, …). */
  readonly attempts: Readonly<Record<number, number>>;
  /**
   * Running calls whose tool has yielded a partial result in this attempt (slot state `streaming`).
   * A call leaves the list when it leaves its lane. Absent in checkpoints written before streaming existed.
   */
  readonly streaming?: readonly number[];
}

/** Events the batch machine accepts: its invocation actors' reports, approvals, `call.cancel` and `batch.cancel`. */
export type ToolBatchEvent =
  | ToolCallSettledEvent
  | ToolCallProgressEvent
  | ToolCallPartialEvent
  | ToolCallApprovalEvent
  | { type: 'call.approve'; id: string }
  | { type: 'call.deny'; id: string; reason?: string }
  | { type: 'call.retryDue'; index: number }
  | AwaitingApprovalEvent
  /**
   * Cancels one call: a running call's signal aborts (an `AbortError` whose message carries
   * `reason`) and its actor stops; a queued, retrying or approval-waiting call never runs. It
   * settles with kind `cancelled`; the batch goes on. An id that names no call, a settled call or
   * an already cancelled one changes nothing and is announced as `call.cancelIgnored`.
   */
  | { type: 'call.cancel'; id: string; reason?: string }
  | { type: 'batch.cancel' };

/** Why a `call.cancel` changed nothing: no call has the id, its call had settled, or it was already cancelled. */
export type CancelIgnoredWhy = 'unknown' | 'settled' | 'repeated';

/** Progress events the batch machine emits (subscribe with `actor.on(type, fn)`), and sends to its parent with `notifyParent`. */
export type ToolBatchEmitted =
  /** `lane` is the concurrency slot (0 … concurrency−1) the call runs in: a timeline's row. */
  | { type: 'call.started'; index: number; id: string; name: string; lane: number; at: number }
  /** A tool's own progress report (MCP progress notifications, say). */
  | { type: 'call.progress'; index: number; id: string; name: string; progress: number; total?: number; message?: string; at: number }
  /** A value a streaming tool (an async generator) yielded while its call runs: a JSON value, in the order yielded. */
  | { type: 'call.partial'; index: number; id: string; name: string; value: unknown; at: number }
  | {
      type: 'call.settled';
      index: number;
      id: string;
      name: string;
      status: 'succeeded' | 'failed' | 'aborted' | 'cancelled';
      at: number;
      failure?: ToolFailure;
    }
  /** A `call.cancel` that changed nothing, and why (see `CancelIgnoredWhy`). */
  | { type: 'call.cancelIgnored'; id: string; why: CancelIgnoredWhy; at: number }
  /** A call whose tool needs an approval waits (holding no lane) until `call.approve` or `call.deny` with its id. */
  | { type: 'call.approvalRequested'; index: number; id: string; name: string; arguments: unknown; at: number }
  /** A call failed and runs again (`attempt`) after `delayMs`, holding no lane meanwhile. */
  | { type: 'call.retrying'; index: number; id: string; name: string; attempt: number; delayMs: number; failure: ToolFailure; at: number }
  | { type: 'batch.settled'; status: 'succeeded' | 'failed' | 'cancelled'; at: number };

/** The batch's result, a tagged union on `status`. */
export type ToolBatchOutput =
  | { status: 'succeeded'; outputs: ToolOutput[] }
  | { status: 'succeeded'; results: SettledResult[] }
  | { status: 'failed'; policy: JoinPolicy; failures: ToolFailure[]; outputs: Array<ToolOutput | undefined> }
  | { status: 'cancelled'; outputs: Array<ToolOutput | undefined> };
