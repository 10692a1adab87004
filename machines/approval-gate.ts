/**
 * A call that waits for an approval, as an actor of its own: it holds the
 * request (the parsed arguments the approver is shown) while the batch holds
 * the call without a lane, and it is stopped by the decision.
 *
 * Why an actor: a child is persisted with the batch and started again when
 * the batch is restored. A gate that starts from a restored snapshot tells
 * the batch `call.awaitingApproval`, and the batch announces
 * `call.approvalRequested` again, so whoever embeds a restored batch learns of
 * the waiting call from the same event as before the restart. A gate that
 * starts fresh says nothing: the request itself was just announced.
 */
import type { ActorLogic, ActorSystem, ActorSystemInfo, EventObject, Snapshot } from 'xstate';
import { parentOf, relay } from './xstate-internals.js';

/** The request a gate holds. */
export interface ApprovalGateInput {
  index: number;
  /** The call's arguments, parsed by its tool's schema. */
  arguments: unknown;
}

/** What a restored gate tells the batch. */
export interface AwaitingApprovalEvent extends EventObject {
  type: 'call.awaitingApproval';
  index: number;
  arguments: unknown;
}

type ApprovalGateSnapshot = Snapshot<undefined> & { input: ApprovalGateInput; restored: boolean };

/** The approval gate's logic: one per call that waits for an approval. */
export const approvalGate: ActorLogic<ApprovalGateSnapshot, EventObject, ApprovalGateInput, ActorSystem<ActorSystemInfo>, EventObject> = {
  getInitialSnapshot: (_scope, input) => ({ status: 'active', output: undefined, error: undefined, input, restored: false }),
  start: (snapshot, { self, system }) => {
    const parent = parentOf(self);
    if (snapshot.status !== 'active' || !snapshot.restored || parent === undefined) return;
    const { index, arguments: args } = snapshot.input;
    const reminder: AwaitingApprovalEvent = { type: 'call.awaitingApproval', index, arguments: args };
    relay(system, self, parent, reminder);
  },
  transition: (snapshot, event) => ((event as { type: string }).type === 'xstate.stop' ? ({ ...snapshot, status: 'stopped' } as ApprovalGateSnapshot) : snapshot),
  // `restored` is this process's knowledge, not the gate's state: a persisted gate is always restored.
  getPersistedSnapshot: ({ restored: _, ...snapshot }) => snapshot as Snapshot<unknown>,
  restoreSnapshot: (snapshot) => ({ ...(snapshot as ApprovalGateSnapshot), restored: true }),
};
