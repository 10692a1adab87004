/**
 * The batch machine's invariants, checked at every step of a generated path.
 * `replayPath` re-runs a path's events on the real machine (each step on a
 * copy, recorded) and returns every violation it found, so that a test can
 * assert there are none and show the first few if there are.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AnyTransitionDefinition } from 'xstate';
import type { ToolBatchEmitted, ToolBatchEvent, ToolBatchInput, ToolBatchOutput } from '../../machines/tool-batch.machine.js';
import type { ToolOutput } from '../../src/core/schemas.js';
import {
  failed,
  initialStep,
  laneId,
  resultOf,
  serializeBatch,
  step,
  succeeded,
  type BatchSnapshot,
  type StepRecord,
} from './batch-model.js';

export interface ReplayResult {
  violations: string[];
  /** Every chart transition taken along the path. */
  taken: Set<AnyTransitionDefinition>;
  final: BatchSnapshot;
  steps: number;
}

const settledStatuses = new Set(['succeeded', 'failed', 'aborted']);
const abortMessage = 'aborted before it settled: the batch ended';

function describeEvent(event: ToolBatchEvent | undefined): string {
  if (event === undefined) return 'init';
  return event.type === 'batch.cancel' ? 'cancel' : `${event.type === 'call.succeeded' ? 'ok' : 'fail'}(${event.index})`;
}

/**
 * Replays `events` from the initial state of `input` and checks every invariant
 * after every step. `expectedStates`, when given, are the path's states as the
 * traversal produced them; each replayed state must serialize the same.
 */
export function replayPath(
  input: ToolBatchInput,
  events: ToolBatchEvent[],
  expectedStates: BatchSnapshot[] = [],
): ReplayResult {
  const calls = input.calls;
  const concurrency = input.options?.concurrency ?? Infinity;
  const policy = input.options?.policy ?? 'failFast';
  const violations: string[] = [];
  const taken = new Set<AnyTransitionDefinition>();
  const admitted: number[] = [];
  const settledEvents = new Map<number, number>();
  let batchSettledEvents = 0;
  let firstFailure: number | undefined;
  const trail: string[] = [];

  const check = (condition: boolean, message: string): void => {
    if (!condition) violations.push(`${message} — after ${trail.join(' → ')}`);
  };

  const checkStep = (prev: BatchSnapshot | undefined, event: ToolBatchEvent | undefined, next: BatchSnapshot, record: StepRecord, expected?: BatchSnapshot) => {
    record.transitions.forEach((t) => taken.add(t));
    const { context } = next;
    const slots = context.slots;
    if (expected !== undefined) check(serializeBatch(expected) === serializeBatch(next), 'replayed state differs from the traversal state');

    // running ≤ N, and the counters agree with the slots.
    const running = slots.flatMap((slot, i) => (slot.status === 'running' ? [i] : []));
    check(running.length <= concurrency, `running ${running.length} > N=${concurrency}`);
    check(context.running === running.length, `context.running ${context.running} ≠ ${running.length} running slots`);
    check(context.settled === slots.filter((s) => settledStatuses.has(s.status)).length, 'context.settled disagrees with the slots');
    check(context.failureCount === slots.filter((s) => s.status === 'failed').length, 'failureCount disagrees with the slots');

    // Children: exactly one per running slot, on that slot's lane; stopped children are not kept.
    const lanes = running.map((i) => laneId(slots[i]!.lane!)).sort();
    check(new Set(lanes).size === lanes.length, 'two running slots share a lane');
    check(isDeepStrictEqual(Object.keys(next.children).sort(), lanes), `children ${Object.keys(next.children)} ≠ running lanes ${lanes}`);

    // FIFO admission: the started calls are a prefix of the input, admitted in index order.
    const spawnedIndices = record.spawned.map((s) => s.input.index);
    admitted.push(...spawnedIndices);
    check(isDeepStrictEqual(admitted, admitted.map((_, i) => i)), `admission order ${admitted} is not 0, 1, 2, …`);
    const started = slots.filter((s) => s.status !== 'queued').length;
    check(started === admitted.length, `${started} slots left the queue but ${admitted.length} were admitted`);
    for (const spawn of record.spawned) {
      const slot = slots[spawn.input.index]!;
      check(spawn.id === laneId(slot.lane!), `call ${spawn.input.index} spawned as ${spawn.id}, not on its lane`);
      check(isDeepStrictEqual(spawn.input.call, calls[spawn.input.index]), `call ${spawn.input.index} spawned with the wrong call`);
    }
    // Work-conserving: while waiting with calls queued, every lane is busy.
    if (next.value === 'running' && slots.some((s) => s.status === 'queued')) {
      check(running.length === concurrency, `${running.length} running < N=${concurrency} while calls are queued`);
    }

    // Every slot settles exactly once and never changes after.
    const newlySettled: number[] = [];
    slots.forEach((slot, i) => {
      const before = prev?.context.slots[i];
      if (before && settledStatuses.has(before.status)) {
        check(isDeepStrictEqual(before, slot), `settled slot ${i} changed`);
      } else if (settledStatuses.has(slot.status)) {
        newlySettled.push(i);
      }
    });
    for (const e of record.emitted) {
      if (e.type === 'call.settled') settledEvents.set(e.index, (settledEvents.get(e.index) ?? 0) + 1);
      if (e.type === 'batch.settled') batchSettledEvents++;
    }
    for (const [index, count] of settledEvents) check(count === 1, `call.settled emitted ${count} times for call ${index}`);
    check(batchSettledEvents === (next.status === 'done' ? 1 : 0), `batch.settled emitted ${batchSettledEvents} times`);

    // What this event must have done.
    const expectedEmitted: ToolBatchEmitted[] = [];
    const expectedStopped: string[] = [];
    const runningBefore = prev ? prev.context.slots.flatMap((slot, i) => (slot.status === 'running' ? [i] : [])) : [];
    const settledEvent = (i: number): ToolBatchEmitted => {
      const slot = slots[i]!;
      return {
        type: 'call.settled',
        index: i,
        id: calls[i]!.id,
        name: calls[i]!.name,
        status: slot.status as 'succeeded' | 'failed' | 'aborted',
        at: 0,
        ...(slot.failure ? { failure: slot.failure } : {}),
      };
    };
    const expectAborted = (indices: number[]) => {
      for (const i of indices) {
        const slot = slots[i]!;
        check(slot.status === 'aborted', `running call ${i} was not aborted`);
        check(
          isDeepStrictEqual(slot.failure, { index: i, id: calls[i]!.id, name: calls[i]!.name, kind: 'aborted', message: abortMessage, error: undefined }),
          `aborted call ${i} has failure ${JSON.stringify(slot.failure)}`,
        );
        expectedEmitted.push(settledEvent(i));
        expectedStopped.push(laneId(prev!.context.slots[i]!.lane!));
      }
      check(spawnedIndices.length === 0, `admitted ${spawnedIndices} while ending the batch`);
      prev!.context.slots.forEach((slot, i) => {
        if (slot.status === 'queued') check(slots[i]!.status === 'queued', `queued call ${i} left the queue`);
      });
    };
    if (event?.type === 'call.succeeded' || event?.type === 'call.failed') {
      const i = event.index;
      const slot = slots[i]!;
      check(newlySettled.includes(i), `call ${i} did not settle on its own completion`);
      expectedStopped.push(laneId(prev!.context.slots[i]!.lane!));
      if (event.type === 'call.succeeded') {
        check(slot.status === 'succeeded' && isDeepStrictEqual(slot.output, event.output), `slot ${i} does not hold its output`);
      } else {
        check(slot.status === 'failed' && isDeepStrictEqual(slot.failure, event.failure), `slot ${i} does not hold its failure`);
        firstFailure ??= i;
      }
      expectedEmitted.push(settledEvent(i));
      if (event.type === 'call.failed' && policy === 'failFast') {
        check(next.value === 'failed', `failFast went to ${String(next.value)} on a failure`);
        expectAborted(runningBefore.filter((r) => r !== i));
      } else {
        check(isDeepStrictEqual(newlySettled, [i]), `settled ${newlySettled} on the completion of ${i}`);
      }
    } else if (event?.type === 'batch.cancel') {
      check(next.value === 'cancelled', `batch.cancel went to ${String(next.value)}`);
      expectAborted(runningBefore);
    }
    // failFast: no admission after the first failure.
    if (policy === 'failFast' && firstFailure !== undefined) check(spawnedIndices.length === 0, 'failFast admitted after a failure');
    for (const spawn of record.spawned) {
      const call = calls[spawn.input.index]!;
      expectedEmitted.push({ type: 'call.started', index: spawn.input.index, id: call.id, name: call.name, lane: context.slots[spawn.input.index]!.lane!, at: 0 });
    }
    if (next.status === 'done') {
      expectedEmitted.push({ type: 'batch.settled', status: (next.output as ToolBatchOutput).status, at: 0 });
    }
    check(isDeepStrictEqual(record.emitted, expectedEmitted), `emitted ${JSON.stringify(record.emitted)}, expected ${JSON.stringify(expectedEmitted)}`);
    check(isDeepStrictEqual(record.stopped, expectedStopped), `stopped ${record.stopped}, expected ${expectedStopped}`);

    // Final states: joinAll and settleAll end only when every slot has settled.
    if (next.status === 'done') {
      check(['succeeded', 'failed', 'cancelled'].includes(next.value as string), `ended in ${String(next.value)}`);
      check(running.length === 0, 'ended with calls running');
      if (!context.cancelled && policy !== 'failFast') check(context.settled === calls.length, `${policy} ended with ${context.settled}/${calls.length} settled`);
      checkOutput(next);
    } else {
      check(next.value === 'running', `waiting in ${String(next.value)}`);
      check(running.length > 0, 'waiting with nothing running');
    }
    checkLateCompletionsIgnored(next);
    checkLiveCompletionsHandled(next);
  };

  /**
   * Every running call's completion is handled. (An ignored event would be a
   * self-loop, which no simple path contains, so the paths alone cannot show it.)
   */
  const checkLiveCompletionsHandled = (snapshot: BatchSnapshot) => {
    if (snapshot.status !== 'active') return;
    snapshot.context.slots.forEach((slot, i) => {
      if (slot.status !== 'running') return;
      for (const event of [succeeded(calls, i), failed(calls, i)]) {
        const settledAs = step(snapshot, event).next.context.slots[i]!.status;
        check(settledAs === (event.type === 'call.succeeded' ? 'succeeded' : 'failed'), `${describeEvent(event)} left call ${i} ${settledAs}`);
      }
    });
  };

  /** The output tag matches the policy; outputs and failures sit in input order. */
  const checkOutput = (final: BatchSnapshot) => {
    const { slots } = final.context;
    const output = final.output as ToolBatchOutput;
    const outputs: Array<ToolOutput | undefined> = slots.map((slot, i) =>
      slot.status === 'succeeded' ? { id: calls[i]!.id, result: resultOf(i) } : undefined,
    );
    const failuresByIndex = slots.flatMap((slot) => (slot.failure ? [slot.failure] : []));
    let expected: ToolBatchOutput;
    if (final.context.cancelled) {
      expected = { status: 'cancelled', outputs };
    } else if (policy === 'settleAll') {
      expected = {
        status: 'succeeded',
        results: slots.map((slot) => (slot.output ? { ok: true as const, output: slot.output } : { ok: false as const, failure: slot.failure! })),
      };
      check(slots.every((s) => s.status === 'succeeded' || s.status === 'failed'), 'settleAll left a slot unsettled');
    } else if (final.context.failureCount === 0) {
      expected = { status: 'succeeded', outputs: outputs as ToolOutput[] };
    } else if (policy === 'joinAll') {
      expected = { status: 'failed', policy, failures: failuresByIndex, outputs };
    } else {
      const cause = slots[firstFailure!]!.failure!;
      expected = { status: 'failed', policy, failures: [cause, ...failuresByIndex.filter((f) => f !== cause)], outputs };
    }
    check(isDeepStrictEqual(output, expected), `output ${JSON.stringify(output)}, expected ${JSON.stringify(expected)}`);
  };

  /** A second completion of a settled call, or any event after the end, changes nothing. */
  const checkLateCompletionsIgnored = (snapshot: BatchSnapshot) => {
    const key = serializeBatch(snapshot);
    const late: ToolBatchEvent[] = [];
    snapshot.context.slots.forEach((slot, i) => {
      if (settledStatuses.has(slot.status) || snapshot.status === 'done') late.push(succeeded(calls, i), failed(calls, i));
    });
    if (snapshot.status === 'done') late.push({ type: 'batch.cancel' });
    for (const event of late) {
      const { next, record } = step(snapshot, event);
      check(record.transitions.length === 0 && serializeBatch(next) === key, `late ${describeEvent(event)} changed the batch`);
      check(record.emitted.length === 0 && record.spawned.length === 0, `late ${describeEvent(event)} emitted or spawned`);
    }
  };

  trail.push('init');
  let { next: current, record } = initialStep(input);
  checkStep(undefined, undefined, current, record, expectedStates[0]);
  events.forEach((event, i) => {
    trail.push(describeEvent(event));
    const result = step(current, event);
    checkStep(current, event, result.next, result.record, expectedStates[i + 1]);
    current = result.next;
  });
  return { violations, taken, final: current, steps: events.length };
}
