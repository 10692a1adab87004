/**
 * A model-testing harness for the batch machine: the real `toolBatchMachine`,
 * transitioned without an actor (children are created but never started), with
 * every step recorded — which chart transitions were taken, which children were
 * spawned and stopped, which events were emitted — so that tests can check
 * invariants at each step of a generated path.
 */
import { getSimplePaths } from 'xstate/graph';
import {
  createEmptyActor,
  type ActorLogic,
  type AnyActorScope,
  type AnyTransitionDefinition,
  type SnapshotFrom,
} from 'xstate';
import {
  cloneBatchSnapshot,
  laneId,
  toolBatchMachine,
  type ToolBatchEmitted,
  type ToolBatchEvent,
  type ToolBatchInput,
} from '../../machines/tool-batch.machine.js';
import { toolFailure } from '../../src/core/failure.js';
import type { ToolCallInput } from '../../machines/tool-call.machine.js';
import { guardText } from '../../scripts/machine-diagram.js';
import { callsFor } from './controlled-tool.js';
import type { JoinPolicy, ToolCall } from '../../src/core/schemas.js';

export type BatchSnapshot = SnapshotFrom<typeof toolBatchMachine>;

/** What one macrostep did, as seen through the actor scope. */
export interface StepRecord {
  /** Chart transitions taken, in microstep order (eventless ones included). */
  transitions: AnyTransitionDefinition[];
  /** Children spawned: child id and the input it was given. */
  spawned: Array<{ id: string; input: ToolCallInput }>;
  /** Ids of children stopped. */
  stopped: string[];
  emitted: ToolBatchEmitted[];
}

const emptyRecord = (): StepRecord => ({ transitions: [], spawned: [], stopped: [], emitted: [] });

/**
 * A scope that records instead of executing: deferred work (starting children,
 * delivering emitted events) never runs, so children stay inert.
 */
function recordingScope(base: AnyActorScope, record: StepRecord): AnyActorScope {
  const system = Object.create(base.system as object, {
    _sendInspectionEvent: {
      value: (event: { type: string; _transitions?: AnyTransitionDefinition[] }) => {
        if (event.type === '@xstate.microstep') record.transitions.push(...(event._transitions ?? []));
      },
    },
  }) as AnyActorScope['system'];
  return {
    ...base,
    system,
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: (action) => {
      const params = action.params as Record<string, unknown> | undefined;
      if (action.type === 'xstate.spawnChild') {
        const ref = params!.actorRef as { id: string; options: { input: ToolCallInput } };
        record.spawned.push({ id: ref.id, input: ref.options.input });
      } else if (action.type === 'xstate.stopChild') {
        // A stop of a child that is not there resolves to no actor: record it, so a test sees it.
        record.stopped.push((params as unknown as { id: string } | undefined)?.id ?? '(none)');
      } else if (action.type === 'xstate.emit') {
        record.emitted.push((params as { event: ToolBatchEmitted }).event);
      }
    },
  };
}

/** A bare actor scope, like the one graph traversal uses. */
export function bareScope(): AnyActorScope {
  const self = createEmptyActor();
  return {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: () => {},
  } as unknown as AnyActorScope;
}

/** The initial macrostep (admission included), recorded. */
export function initialStep(input: ToolBatchInput, scope = bareScope()): { next: BatchSnapshot; record: StepRecord } {
  const record = emptyRecord();
  const next = toolBatchMachine.getInitialSnapshot(recordingScope(scope, record), input);
  return { next, record };
}

/** One macrostep on a copy of `snapshot` (the machine mutates its context in place), recorded. */
export function step(
  snapshot: BatchSnapshot,
  event: ToolBatchEvent,
  scope = bareScope(),
): { next: BatchSnapshot; record: StepRecord } {
  const record = emptyRecord();
  const next = toolBatchMachine.transition(cloneBatchSnapshot(snapshot), event, recordingScope(scope, record));
  return { next, record };
}

/** The batch machine as actor logic that is safe to transition one snapshot many times. */
export const clonedBatchLogic: ActorLogic<BatchSnapshot, ToolBatchEvent, ToolBatchInput> = {
  config: toolBatchMachine.config,
  transition: (snapshot, event, scope) => toolBatchMachine.transition(cloneBatchSnapshot(snapshot), event, scope as AnyActorScope),
  getInitialSnapshot: (scope, input) => toolBatchMachine.getInitialSnapshot(scope as AnyActorScope, input),
  getPersistedSnapshot: (snapshot) => toolBatchMachine.getPersistedSnapshot(snapshot),
};

/** The result a test tool "returns" for call `index`. */
export const resultOf = (index: number): string => `r${index}`;

/** Every event an invocation actor could send now: success or failure of each running call, plus `batch.cancel`. */
export function possibleEvents(snapshot: BatchSnapshot): ToolBatchEvent[] {
  if (snapshot.status !== 'active') return [];
  const events: ToolBatchEvent[] = [];
  snapshot.context.slots.forEach((slot, index) => {
    if (slot.status !== 'running') return;
    events.push(succeeded(snapshot.context.calls, index), failed(snapshot.context.calls, index));
  });
  events.push({ type: 'batch.cancel' });
  return events;
}

export function succeeded(calls: ToolCall[], index: number): ToolBatchEvent {
  return { type: 'call.succeeded', index, output: { id: calls[index]!.id, result: resultOf(index) } };
}

export function failed(calls: ToolCall[], index: number): ToolBatchEvent {
  return { type: 'call.failed', index, failure: toolFailure(index, calls[index]!, 'error', `e${index}`, undefined) };
}

/**
 * The state key for traversal: the chart state plus everything in context that
 * can differ between interleavings (not the constant calls, nor times, which
 * are 0 without a clock).
 */
export function serializeBatch(snapshot: BatchSnapshot): string {
  const { context } = snapshot;
  return JSON.stringify({
    value: snapshot.value,
    status: snapshot.status,
    slots: context.slots.map(({ status, lane, output, failure }) => [status, lane, output?.result, failure?.kind]),
    heads: context.queues.map((queue) => [queue.head, queue.running]),
    running: context.running,
    settled: context.settled,
    failureCount: context.failureCount,
    firstFailure: context.firstFailure,
    cancelled: context.cancelled,
    freeLanes: context.freeLanes,
    laneCount: context.laneCount,
  });
}

export function callsOf(count: number): ToolCall[] {
  return callsFor('tool', count);
}

export interface Configuration {
  calls: number;
  concurrency: number;
  policy: JoinPolicy;
}

/** Every interleaving of completions, failures and a cancel, as simple paths from the initial state. */
export function generatePaths(config: Configuration) {
  const input: ToolBatchInput = {
    calls: callsOf(config.calls),
    options: { concurrency: config.concurrency, policy: config.policy },
  };
  const paths = getSimplePaths(clonedBatchLogic, {
    input,
    events: possibleEvents,
    serializeState: serializeBatch,
  });
  return { input, paths };
}

/** One `on` or `always` branch of the chart, found in the machine definition. */
export interface Branch {
  label: string;
  transition: AnyTransitionDefinition;
}

/** Every `on`/`always` branch of every state node of the batch chart, by guard. */
export function chartBranches(): Branch[] {
  const branches: Branch[] = [];
  for (const node of Object.values(toolBatchMachine.root.states)) {
    const describe = (trigger: string, transition: AnyTransitionDefinition): string => {
      const guard = guardText(transition.guard as Parameters<typeof guardText>[0]) ?? 'no guard';
      const target = transition.target?.map((t) => t.key).join(',') ?? '(self)';
      return `${node.key} —${trigger} [${guard}]→ ${target}`;
    };
    for (const [eventType, transitions] of node.transitions) {
      for (const transition of transitions) branches.push({ label: describe(eventType, transition), transition });
    }
    for (const transition of node.always ?? []) branches.push({ label: describe('always', transition), transition });
  }
  return branches;
}

export { laneId };
