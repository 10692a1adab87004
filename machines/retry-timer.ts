/**
 * The wait before a call's next attempt, as an actor of its own: it sends
 * `call.retryDue` to the batch after `delayMs` on the actor system's clock
 * (so `SimulatedClock` drives it), and cancels the send when stopped. Being a
 * child, it is persisted with the batch and starts again (the whole delay)
 * when the batch is restored.
 */
import type { ActorLogic, ActorSystem, ActorSystemInfo, EventObject, Snapshot } from 'xstate';
import { parentOf } from './xstate-internals.js';

/** What the timer waits for. */
export interface RetryTimerInput {
  index: number;
  delayMs: number;
}

type RetryTimerSnapshot = Snapshot<undefined> & { input: RetryTimerInput };

const dueId = 'retryDue';

/** The retry timer's logic: one per call that backs off. */
export const retryTimer: ActorLogic<RetryTimerSnapshot, EventObject, RetryTimerInput, ActorSystem<ActorSystemInfo>, EventObject> = {
  getInitialSnapshot: (_scope, input) => ({ status: 'active', output: undefined, error: undefined, input }),
  start: (snapshot, { self, system }) => {
    const parent = parentOf(self);
    if (snapshot.status !== 'active' || parent === undefined) return;
    const due: EventObject & { index: number } = { type: 'call.retryDue', index: snapshot.input.index };
    system.scheduler.schedule(self, parent, due, snapshot.input.delayMs, dueId);
  },
  transition: (snapshot, event, { self, system }) => {
    if ((event as { type: string }).type !== 'xstate.stop') return snapshot;
    system.scheduler.cancel(self, dueId);
    return { ...snapshot, status: 'stopped' } as RetryTimerSnapshot;
  },
  getPersistedSnapshot: (snapshot) => snapshot,
  restoreSnapshot: (snapshot) => snapshot as RetryTimerSnapshot,
};
