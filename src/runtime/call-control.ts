/**
 * `createCallControl`: cancel one call of a running batch from outside, as an
 * `AbortController` aborts a whole run. Passed as the `control` option of
 * `runToolBatch`, `withParallelTools` or `runAgent`, it reaches the batch that
 * runs now (under `runAgent`, the current step's).
 */
import type { AnyActorRef } from 'xstate';
import type { CancelIgnoredWhy, ToolBatchContext } from '../../machines/tool-batch.machine.js';
import { cancelTargetOf } from '../../machines/tool-batch.steps.js';
import { showValue } from '../core/options.js';

/**
 * What `cancel` did: `cancelled`, or why it changed nothing: `unknown` (no
 * call of the running batch has the id), `settled` (the call had settled),
 * `repeated` (it was already cancelled), `idle` (no batch runs now: before the
 * start, between an agent's steps, or after the end).
 */
export type CancelOutcome = 'cancelled' | CancelIgnoredWhy | 'idle';

/** Cancels single calls of the batch it is attached to (the `control` option). */
export interface CallControl {
  /**
   * Cancels call `id`: a running call's signal aborts (an `AbortError` whose
   * message carries `reason`) and a waiting or queued call never runs. The call
   * settles with kind `cancelled` and the message `the call was cancelled: <reason>`;
   * the next queued call takes its lane. Never throws.
   *
   * @returns what it did; anything but `cancelled` changed nothing.
   */
  cancel(id: string, reason?: string): CancelOutcome;
}

/** What a control reaches while a batch runs. */
export interface CallControlTarget {
  /** The running batch's context, or `undefined` when no batch runs now. */
  batch(): ToolBatchContext | undefined;
  /** Sends `call.cancel` to the batch (or to the agent, which forwards it). */
  send(event: { type: 'call.cancel'; id: string; reason?: string }): void;
}

/** Each control's current target: kept off the public object, so a control is only its `cancel`. */
const targets = new WeakMap<CallControl, CallControlTarget | null>();

/**
 * Creates a control that cancels single calls of a running batch.
 *
 * @returns the control; pass it as `control` to `runToolBatch`, `withParallelTools` or `runAgent`.
 * @example
 * ```ts
 * const control = createCallControl();
 * const outputs = runToolBatch(calls, { tools, policy: 'settleAll', control });
 * control.cancel('search-2', 'the user gave up'); // 'cancelled'
 * ```
 */
export function createCallControl(): CallControl {
  const control: CallControl = {
    cancel(id, reason) {
      const target = targets.get(control) ?? null;
      const context = target?.batch();
      if (target === null || context === undefined) return 'idle';
      const found = cancelTargetOf(context, id);
      if ('ignored' in found) return found.ignored;
      target.send(reason === undefined ? { type: 'call.cancel', id } : { type: 'call.cancel', id, reason: String(reason) });
      return 'cancelled';
    },
  };
  targets.set(control, null);
  return Object.freeze(control);
}

/**
 * Checks a `control` option: absent, or a control from `createCallControl`.
 *
 * @throws `TypeError` naming the value and its type.
 */
export function assertCallControl(control: unknown): asserts control is CallControl | undefined {
  if (control !== undefined && !(typeof control === 'object' && control !== null && targets.has(control as CallControl))) {
    throw new TypeError(`Expected \`control\` to be a control from \`createCallControl()\`, got ${showValue(control)}`);
  }
}

/**
 * Points `control` at a running batch until the returned function detaches it.
 *
 * @throws `Error` when the control already reaches another running batch or agent.
 */
export function attachCallControl(control: CallControl | undefined, target: CallControlTarget): () => void {
  if (control === undefined) return () => {};
  if (targets.get(control)) throw new Error('This `control` already controls a running batch or agent: create one control per run');
  targets.set(control, target);
  return () => {
    if (targets.get(control) === target) targets.set(control, null);
  };
}

/**
 * The target of a batch actor, or of an agent actor whose `toolBatch` child is
 * the batch (the agent forwards `call.cancel` to it).
 */
export function callControlTarget(actor: AnyActorRef, kind: 'batch' | 'agent'): CallControlTarget {
  const batchOf = (): AnyActorRef | undefined => (kind === 'batch' ? actor : (actor.getSnapshot() as { children: Record<string, AnyActorRef | undefined> }).children.toolBatch);
  return {
    batch: () => {
      const snapshot = batchOf()?.getSnapshot() as { status: string; context: ToolBatchContext } | undefined;
      return snapshot?.status === 'active' ? snapshot.context : undefined;
    },
    send: (event) => actor.send(event),
  };
}
