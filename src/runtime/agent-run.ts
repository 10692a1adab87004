/**
 * Running an agent actor to its end, durably and with approvals: the part of
 * `runAgent` that checkpoints the run, answers approvals, or pauses the run
 * when it can go no further without a person's decision, and `resumeAgent`,
 * which continues a paused run from its plain-JSON `state`, in this process
 * or another.
 */
import { createActor, type Actor, type Snapshot } from 'xstate';
import type { AgentLoopOutput } from '../../machines/agent-loop.machine.js';
import type { ToolBatchContext } from '../../machines/tool-batch.machine.js';
import { attachCallControl, callControlTarget, type CallControl } from './call-control.js';
import { actorPromise } from './actor-promise.js';
import { jsonCopy } from '../core/plain-data.js';
import type { createAgentMachine } from './agent.js';
import { answerApprovals, keepCheckpoints, type Approver, type HeldRun } from './durable.js';
import type { RunStore } from './run-store.js';

/** A call that waits for a person's decision. */
export interface PendingApproval {
  id: string;
  name: string;
  /** The call's arguments, as the model sent them. */
  arguments: unknown;
}

/** A run paused for approvals: decide, then `resumeAgent(state, { decisions })`. */
export interface AgentAwaitingApproval {
  status: 'awaitingApproval';
  /** The calls that wait, in call order. */
  pending: PendingApproval[];
  /** The whole run, as plain JSON: store it anywhere, resume it anywhere. */
  state: AgentState;
  messages: AgentLoopOutput['messages'];
  steps: AgentLoopOutput['steps'];
  /** Never set on a pause: there for code that reads `error` on any result. */
  error?: undefined;
}

/** A paused run's persisted snapshot: plain JSON. */
export type AgentState = { readonly status: 'active' } & Record<string, unknown>;

/** What `runAgent` and `resumeAgent` resolve with. */
export type AgentRunResult = AgentLoopOutput | AgentAwaitingApproval;

/** A decision on one pending call: `true` approves it; `false` or `{ approve: false, reason }` denies it. */
export type ApprovalDecision = boolean | { approve: boolean; reason?: string };

type AgentActor = Actor<ReturnType<typeof createAgentMachine>>;

interface RunOptions {
  signal?: AbortSignal | undefined;
  onEvent?: ((event: never) => void) | undefined;
  approve?: Approver | undefined;
  store?: RunStore | undefined;
  runId?: string | undefined;
  /** The run's lease, when it is durable: losing it stops the run. */
  held?: HeldRun | undefined;
  /** Decisions to send once the actor started (a resumed run). */
  decisions?: Record<string, ApprovalDecision> | undefined;
  /** Cancels single calls of the step's batch while the run lives. */
  control?: CallControl | undefined;
}

/** The batch the agent runs now, if any: its context. */
function batchContext(actor: AgentActor): ToolBatchContext | undefined {
  const batch = (actor.getSnapshot().children as Record<string, { getSnapshot(): Snapshot<unknown> & { context?: ToolBatchContext } } | undefined>).toolBatch;
  const snapshot = batch?.getSnapshot();
  return snapshot?.status === 'active' ? snapshot.context : undefined;
}

/** Calls that wait for approval while nothing else can move: the run needs a person now. */
function stalled(actor: AgentActor): PendingApproval[] | undefined {
  const context = batchContext(actor);
  if (context === undefined || context.awaiting.length === 0) return undefined;
  if (context.running > 0 || context.retrying.length > 0 || context.ready.length > 0) return undefined;
  return [...context.awaiting]
    .sort((a, b) => a - b)
    .map((index) => {
      const call = context.config.calls[index]!;
      return { id: call.id, name: call.name, arguments: call.arguments };
    });
}

/**
 * Starts `actor` and resolves when the run ends, or pauses for approvals.
 *
 * @param actor - the agent actor, created (maybe from a checkpoint), not started.
 * @param options - `signal`, `onEvent`, `approve`, `store` and `runId`, and `decisions` to send at once.
 * @returns the run's output, or `{ status: 'awaitingApproval', pending, state }`.
 * @example
 * ```ts
 * const result = await runAgentActor(createActor(machine, { input }), { approve: () => true });
 * ```
 */
export async function runAgentActor(actor: AgentActor, options: RunOptions): Promise<AgentRunResult> {
  const { signal, onEvent, approve, store, runId, decisions, held, control } = options;
  const detach = attachCallControl(control, callControlTarget(actor, 'agent'));
  const checkpoints = store !== undefined && runId !== undefined ? keepCheckpoints(actor, store, runId, 'agent') : undefined;
  if (approve !== undefined) answerApprovals(actor, approve, actor);
  let pause: ((pending: PendingApproval[]) => void) | undefined;
  const paused = new Promise<PendingApproval[]>((resolve) => (pause = resolve));
  let checking = false;
  // Checked after the step settles: the batch reports to the agent from inside its own step.
  const check = (): void => {
    if (approve !== undefined || checking) return;
    checking = true;
    queueMicrotask(() => {
      checking = false;
      const pending = actor.getSnapshot().status === 'active' ? stalled(actor) : undefined;
      if (pending !== undefined) pause!(pending);
    });
  };
  const subscription = actor.subscribe({ next: check, error: () => {} });
  try {
    const done = actorPromise(actor, { signal, onEvent: onEvent as never, cancelEvent: { type: 'agent.cancel' } });
    for (const [id, decision] of Object.entries(decisions ?? {})) {
      const approved = decision === true || (typeof decision === 'object' && decision.approve);
      const reason = typeof decision === 'object' && decision.reason !== undefined ? decision.reason : 'not approved';
      actor.send(approved ? { type: 'call.approve', id } : { type: 'call.deny', id, reason });
    }
    check();
    // A run taken over by another owner stops here: no tool of it runs on, nothing more is written.
    held?.lost.catch(() => {
      checkpoints?.stop();
      actor.stop();
    });
    const lost = held === undefined ? [] : [held.lost];
    const result = await Promise.race([done.then((output) => ({ output })), paused.then((pending) => ({ pending })), ...lost]);
    if ('output' in result) {
      await checkpoints?.flush();
      return result.output;
    }
    await checkpoints?.flush();
    const state = jsonCopy(actor.getPersistedSnapshot()) as AgentState;
    const { context } = actor.getSnapshot();
    subscription.unsubscribe();
    checkpoints?.stop();
    actor.stop();
    done.catch(() => {});
    return { status: 'awaitingApproval', pending: result.pending, state, messages: context.messages, steps: context.steps };
  } finally {
    detach();
    subscription.unsubscribe();
    checkpoints?.stop();
  }
}

/**
 * Restores an agent actor from a paused run's `state` (or a checkpoint).
 *
 * @param machine - the agent machine (`createAgentMachine(options)`).
 * @param state - the persisted snapshot, as plain JSON.
 * @param rest - the actor's other options (clock, inspect).
 * @returns the actor, not started.
 * @example
 * ```ts
 * const actor = restoreAgent(machine, paused.state, { clock });
 * ```
 */
export function restoreAgent(
  machine: ReturnType<typeof createAgentMachine>,
  state: unknown,
  rest: Omit<Parameters<typeof createActor>[1] & object, 'snapshot' | 'input'>,
): AgentActor {
  if (typeof state !== 'object' || state === null || (state as { status?: unknown }).status === undefined) {
    throw new TypeError('Expected `state` to be the `state` of a paused run (a persisted snapshot), got something else');
  }
  return createActor(machine, { ...rest, snapshot: state as Snapshot<unknown>, input: { messages: [] } } as never) as AgentActor;
}
