/**
 * # The life of one call's slot in a batch
 *
 * ## What this module provides
 * `toolSlotChart`: the states one call goes through inside `toolBatchMachine`
 * (`queued`, `awaitingApproval`, `running`, `streaming`, `retrying`, and the settled
 * `succeeded`, `failed`, `aborted`, `cancelled`), as a statechart for the diagrams. It is
 * not run: the batch keeps every slot's state in its context (lanes, the
 * awaiting, retrying and ready lists, the settlement log), which is what lets
 * one machine hold thousands of calls at a cost linear in their number.
 *
 * ## Exports
 * - `toolSlotChart`
 *
 * ## Implementation strategy
 * Each event here is a branch of the batch chart: `admit` is `admitQueued` or
 * a settlement's admission, `approvalRequested` is `holdForApproval`,
 * `approve` is `approveCall`, `retryDue` is `retryNow`, `partial` is the
 * first `call.partial` of an attempt (`markStreaming`), `cancel` is
 * `cancelCall` (from any state that has not settled). Calls that wait
 * (`awaitingApproval`, `retrying`) hold no lane.
 *
 * ## Composition
 * Rendered by `npm run visualize` to visualizations/tool-slot.md.
 *
 * ## Testing strategy
 * The batch's path tests (test/machines/tool-batch.paths.test.ts) check that
 * every change of a slot's state along every generated path is an edge of
 * this chart (`slotStateOf` reads a slot's state from a batch context).
 */
import { setup } from 'xstate';
import { settlementsBySlot } from './settlement-log.js';
import type { ToolBatchContext } from './tool-batch.types.js';

/** The states of one call's slot. */
export type SlotState = 'queued' | 'awaitingApproval' | 'running' | 'streaming' | 'retrying' | 'succeeded' | 'failed' | 'aborted' | 'cancelled';

/**
 * The state of every slot of a batch, read from its context.
 *
 * @param context - the batch's context.
 * @returns one state per call, in call order.
 * @example
 * ```ts
 * slotStatesOf(actor.getSnapshot().context); // ['running', 'awaitingApproval', 'queued']
 * ```
 */
export function slotStatesOf(context: ToolBatchContext): SlotState[] {
  const settled = settlementsBySlot(context.settlements, context.config.calls.length);
  return context.config.calls.map((_, index) => {
    const settlement = settled[index];
    if (settlement !== undefined) return settlement.status;
    if (context.lanes.includes(index)) return context.streaming?.includes(index) ? 'streaming' : 'running';
    if (context.awaiting.includes(index)) return 'awaitingApproval';
    if (context.retrying.includes(index)) return 'retrying';
    return 'queued';
  });
}

/** The slot chart, for diagrams and for checking the batch's slot changes. It is not run. */
export const toolSlotChart = setup({
  types: {
    events: {} as
      | { type: 'admit' }
      | { type: 'approvalRequested' }
      | { type: 'approve' }
      | { type: 'deny' }
      | { type: 'succeeded' }
      | { type: 'failed' }
      | { type: 'retryDue' }
      | { type: 'partial' }
      | { type: 'abort' }
      | { type: 'cancel' },
  },
  guards: { willRetry: () => false },
}).createMachine({
  id: 'toolSlot',
  description: "One call's slot in a batch: what the batch's context says about it.",
  initial: 'queued',
  states: {
    queued: {
      description: 'Waits its turn: admitted FIFO by index when a lane (and the limit of its tool) allows. Approved and retry-due calls wait here too, ahead of the queue.',
      on: { admit: 'running', cancel: 'cancelled' },
    },
    running: {
      description: 'Holds a lane; its invocation actor runs the tool.',
      on: {
        approvalRequested: 'awaitingApproval',
        partial: 'streaming',
        succeeded: 'succeeded',
        failed: [{ guard: 'willRetry', target: 'retrying' }, { target: 'failed' }],
        abort: 'aborted',
        cancel: 'cancelled',
      },
    },
    streaming: {
      description: 'Holds a lane; its tool has yielded partial results (call.partial), and may yield more before it settles.',
      on: {
        succeeded: 'succeeded',
        failed: [{ guard: 'willRetry', target: 'retrying' }, { target: 'failed' }],
        abort: 'aborted',
        cancel: 'cancelled',
      },
    },
    awaitingApproval: {
      description: 'Its tool needs an approval: it holds no lane until call.approve or call.deny.',
      on: { approve: 'queued', deny: 'failed', abort: 'aborted', cancel: 'cancelled' },
    },
    retrying: {
      description: 'Backs off before its next attempt, on the system clock, holding no lane.',
      on: { retryDue: 'queued', abort: 'aborted', cancel: 'cancelled' },
    },
    succeeded: { type: 'final', description: 'Its output is in the settlement log.' },
    failed: { type: 'final', description: 'Its final failure (after retries; or denied) is in the settlement log.' },
    aborted: { type: 'final', description: 'The batch ended (failFast or batch.cancel) before it settled; a streaming tool was returned.' },
    cancelled: {
      type: 'final',
      description: 'call.cancel settled it (kind cancelled): a running call was aborted with the reason, a waiting one never ran.',
    },
  },
});
