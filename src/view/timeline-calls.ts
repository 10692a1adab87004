/**
 * What each call of a batch did over time, read from the batch's events: its
 * runs (one per attempt, each in the lane it ran in) and its waits, which
 * hold no lane (for an approval, or backing off before a retry).
 *
 * A call that needs an approval first holds a lane for the moment it takes to
 * ask (`call.started`, then `call.approvalRequested`); that moment is not a
 * run: the wait starts when the call asks. A streaming tool's `call.partial`
 * events are kept on the run they came in, as times.
 */
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import type { ToolFailure } from '../core/schemas.js';
import { callOutcome, type CallOutcome } from './call-outcome.js';

/** How a run ended: the call's outcome, `retried` for an attempt that failed and ran again, or `running`. */
export type RunOutcome = CallOutcome | 'retried' | 'running';

/** One attempt of a call, in its lane. Times are ms since the batch started. */
export interface CallRun {
  lane: number;
  /** From 1. */
  attempt: number;
  start: number;
  end: number;
  outcome: RunOutcome;
  failure?: Pick<ToolFailure, 'kind' | 'message'>;
  /** When the run's tool yielded each partial result (`call.partial`), in order; absent when it yielded none. */
  partials?: number[];
}

/** A time a call held no lane: waiting for an approval, or backing off before its next attempt. */
export interface CallWait {
  kind: 'approval' | 'backoff';
  start: number;
  end: number;
}

/** One call's history in the batch. */
export interface CallHistory {
  index: number;
  id: string;
  name: string;
  runs: CallRun[];
  waits: CallWait[];
  /** The call's `call.settled`, when the events include it. */
  settled?: Extract<ToolBatchEmitted, { type: 'call.settled' }>;
}

type Open = { type: 'run'; lane: number; start: number; partials?: number[] } | { type: 'wait'; kind: CallWait['kind']; start: number };

/**
 * Reads each call's runs and waits from a batch's events.
 *
 * @param events - the batch's events, `at` counted from the batch's start, in order.
 * @param end - where runs and waits still open at the last event end.
 * @returns one history per call that has any event, by index.
 * @example
 * ```ts
 * const [history] = callHistories(events, 300).values();
 * history.runs.map((run) => `${run.attempt}: ${run.outcome}`); // ['1: retried', '2: succeeded']
 * ```
 */
export function callHistories(events: readonly ToolBatchEmitted[], end: number): Map<number, CallHistory> {
  const histories = new Map<number, CallHistory>();
  const open = new Map<number, Open>();
  const attempt = new Map<number, number>();
  const close = (history: CallHistory, at: number, outcome: RunOutcome, failure?: CallRun['failure']): void => {
    const was = open.get(history.index);
    open.delete(history.index);
    if (was?.type === 'wait') history.waits.push({ kind: was.kind, start: was.start, end: at });
    else if (was?.type === 'run') {
      const run: CallRun = { lane: was.lane, attempt: attempt.get(history.index) ?? 1, start: was.start, end: at, outcome };
      if (failure) run.failure = { kind: failure.kind, message: failure.message };
      if (was.partials) run.partials = was.partials;
      history.runs.push(run);
    }
  };
  for (const event of events) {
    if (event.type === 'batch.settled' || event.type === 'call.progress' || event.type === 'call.cancelIgnored') continue;
    let history = histories.get(event.index);
    if (history === undefined) {
      history = { index: event.index, id: event.id, name: event.name, runs: [], waits: [] };
      histories.set(event.index, history);
    }
    switch (event.type) {
      case 'call.started':
        close(history, event.at, 'running');
        open.set(event.index, { type: 'run', lane: event.lane, start: event.at });
        break;
      case 'call.approvalRequested':
        // The lane was held only to ask: drop that run and start the wait.
        open.delete(event.index);
        open.set(event.index, { type: 'wait', kind: 'approval', start: event.at });
        break;
      case 'call.retrying':
        close(history, event.at, 'retried', event.failure);
        attempt.set(event.index, event.attempt);
        open.set(event.index, { type: 'wait', kind: 'backoff', start: event.at });
        break;
      case 'call.settled':
        close(history, event.at, callOutcome(event), event.failure);
        history.settled = event;
        break;
      case 'call.partial': {
        // A partial belongs to the run it came in; the batch drops one that comes after its call settled.
        const run = open.get(event.index);
        if (run?.type === 'run') (run.partials ??= []).push(event.at);
        break;
      }
    }
  }
  for (const history of histories.values()) close(history, end, 'running');
  return histories;
}
