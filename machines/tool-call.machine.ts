/**
 * # The invocation actor: one per tool call
 *
 * ## What this module provides
 * The actor that runs one tool call for the batch machine: it calls the tool
 * with an `AbortSignal`, enforces the call's timeout on XState's clock, checks
 * that the result is JSON, and tells its parent how the call settled.
 *
 * ## Exports
 * - `createToolCallLogic(execute, options)`: the actor logic, given a tool executor.
 * - `toolCallChart`: the same states as a statechart definition, for diagrams.
 * - `ToolCallInput`, `ToolCallSettledEvent`, `ToolCallPartialEvent`, `ToolExecutor`, `ToolCallSnapshot`.
 * - `maxTimeoutMs`, the longest timeout a timer can wait.
 *
 * ## Implementation strategy
 * A hand-written `ActorLogic`, not a machine. A child machine that invokes a
 * promise costs two actors per call (see bench/RESULTS.md); this logic is
 * one actor whose snapshot `value` walks the chart's states:
 * `running` → `succeeded` | `failed` | `timedOut`.
 * - The tool's settlement is relayed to the parent as `call.succeeded` or
 *   `call.failed` (with the slot `index`) *before* the actor finishes, so the
 *   parent can reap it in the same step and reuse its id for the next call.
 * - The timeout is an event scheduled on the actor system's scheduler, so
 *   `SimulatedClock` drives it in tests. On timeout the signal is aborted with
 *   a `TimeoutError`; on stop (failFast, cancel) with an `AbortError`. A
 *   `call.cancel` from the batch (it stops the actor next) aborts it first with
 *   an `AbortError` whose message carries the cancel's reason.
 * - On timeout the actor reports `call.failed` and stays active in `timedOut`
 *   until the parent reaps it; it finishes by itself only when nobody does. An
 *   actor that finished on its own would make XState send
 *   `xstate.done.actor.*` to a parent that the failure may just have ended.
 * - A tool that throws, or returns a thenable whose `then` throws, fails its
 *   call with kind `error`; a result whose JSON check throws (`toJSON`, a
 *   getter) fails it with `invalidResult`.
 * - A settlement that arrives after the actor stopped or timed out is dropped.
 *   Both fulfilment and rejection are always observed, so a late rejection is
 *   never unhandled.
 * - A tool that returns an async iterable (an async generator) streams: each
 *   value it yields is checked as JSON and relayed to the parent as
 *   `call.partial`; the result is its return value, or its last yield when it
 *   returns nothing (tool-stream.ts). A partial that is not JSON fails the
 *   call with `invalidResult`. On stop, timeout or a bad partial the actor
 *   calls the stream's `return()`, so a generator's `finally` runs; a value it
 *   yields after that is dropped.
 *
 * ## Composition
 * The batch machine references this logic as its `runTool` actor; tools come
 * in through `toolBatchMachine.provide({ actors: { runTool } })`, usually from
 * `createToolRouter(tools).runTool`. This file never imports tools.
 *
 * ## Testing strategy
 * test/tool-call.machine.test.ts drives it alone and under a parent, with
 * `SimulatedClock` for timeouts, and checks that every snapshot value change is
 * an edge of `toolCallChart`.
 */
import {
  setup,
  type ActorLogic,
  type ActorScope,
  type AnyActorRef,
  type ActorSystem,
  type ActorSystemInfo,
  type EventObject,
  type Snapshot,
} from 'xstate';
import type { RetryOptions, ToolCall, ToolFailure, ToolOutput } from '../src/core/schemas.js';
import { failureFromError, toolFailure } from '../src/core/failure.js';
import { describeError } from '../src/core/describe.js';
import { describeNonJson } from './json-result.js';
import { closeStream, openStream, pullStream } from './tool-stream.js';
import { asyncIteratorMethod } from '../src/core/async-iterable.js';
import { ApprovalRequest } from '../src/core/approval.js';
import { parentOf, relay } from './xstate-internals.js';

/** What the batch machine gives each invocation actor. */
export interface ToolCallInput {
  /** The call's slot in the batch. */
  index: number;
  call: ToolCall;
  /** The batch's timeout (`null` or absent: none); a tool's own timeout (from `timeoutFor`) wins. */
  timeoutMs?: number | null | undefined;
  /** `${runId}:${call.id}` when the batch runs under a `runId`: the same on every re-run of the call. */
  idempotencyKey?: string | undefined;
  /** The call was approved: run it without asking again. */
  approved?: boolean;
  /** Which attempt this is, from 1. */
  attempt?: number;
  /** The batch's default retries (a tool's own `retry` wins). */
  retry?: RetryOptions;
}

/** A tool's progress report, as `reportProgress` takes it. */
export interface ToolProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** What a tool executor gets with each call. `signal` is made on first read. */
export interface ToolRunContext {
  index: number;
  call: ToolCall;
  /** Aborted on timeout (`TimeoutError`) and on stop: failFast or cancel (`AbortError`). */
  readonly signal: AbortSignal;
  /** Reports progress: the batch emits it as `call.progress`. Ignored once the call settled. */
  reportProgress(update: ToolProgress): void;
  /** `${runId}:${call.id}` under a `runId`, so a tool can tell a re-run (after a resume) from a new call. */
  idempotencyKey?: string;
  /** The call was approved, so it runs without asking again. */
  readonly approved: boolean;
  /** Which attempt this is, from 1. */
  readonly attempt: number;
}

/**
 * Runs one call. May return a value or a promise, and may throw. A returned
 * async iterable (or a promise of one) streams partial results (tool-stream.ts).
 */
export type ToolExecutor = (call: ToolCall, context: ToolRunContext) => unknown;

/** How an invocation actor tells its parent that its call settled. */
export type ToolCallSettledEvent =
  | { type: 'call.succeeded'; index: number; output: ToolOutput }
  /** `retryInMs` when the call is to run again after that delay; absent when this failure is final. */
  | { type: 'call.failed'; index: number; failure: ToolFailure; retryInMs?: number };

/** How an invocation actor tells its parent that its call needs an approval before it runs. */
export type ToolCallApprovalEvent = { type: 'call.approvalRequested'; index: number; arguments: unknown };

/** How an invocation actor passes its tool's progress to the parent. */
export type ToolCallProgressEvent = { type: 'call.progress'; index: number } & ToolProgress;

/** How an invocation actor passes on a value its tool yielded (a JSON value, already checked). */
export type ToolCallPartialEvent = { type: 'call.partial'; index: number; value: unknown };

/** What an invocation actor reports: how its call settled, or that it needs an approval first. */
type ToolCallReport = ToolCallSettledEvent | ToolCallApprovalEvent;

function partialOf(index: number, value: unknown): ToolCallPartialEvent {
  return { type: 'call.partial', index, value };
}

function approvalOf(index: number, request: ApprovalRequest): ToolCallApprovalEvent {
  return { type: 'call.approvalRequested', index, arguments: request.arguments };
}

/** The chart states that the actor's snapshot `value` walks through. */
export type ToolCallStateValue = 'running' | 'succeeded' | 'failed' | 'timedOut';

/** The invocation actor's snapshot: XState's status plus the chart state. */
export type ToolCallSnapshot = Snapshot<ToolCallSettledEvent> & {
  value: ToolCallStateValue;
  input: ToolCallInput;
};

/** Events the invocation actor handles internally. */
export type ToolCallEvent =
  | { type: 'tool.settled'; settlement: ToolCallSettledEvent }
  | { type: 'call.timeout' }
  /** The batch cancels this call (`call.cancel`) and stops the actor next: the signal aborts with the reason first. */
  | { type: 'call.cancel'; reason?: string };

/** The invocation actor logic, as provided to the batch machine's `runTool` actor. */
export type ToolCallLogic = ActorLogic<ToolCallSnapshot, ToolCallEvent, ToolCallInput, ActorSystem<ActorSystemInfo>, EventObject>;

/** Options for `createToolCallLogic`. */
export interface ToolCallLogicOptions {
  /** A per-tool timeout in ms that overrides the batch's. Default: none. */
  timeoutFor?: (call: ToolCall) => number | undefined;
  /**
   * Whether a failed attempt runs again, and after how many ms: `undefined` for a final failure.
   * Gets the call, its failure, the attempt that failed (from 1) and the batch's default retries.
   * Default: never.
   */
  retryFor?: (call: ToolCall, failure: ToolFailure, attempt: number, batchRetry: RetryOptions | undefined) => number | undefined;
}

const timeoutEventId = 'callTimeout';

/**
 * The longest delay a timer can wait (2^31 − 1 ms, about 24.8 days). Node's
 * `setTimeout` fires after 1 ms for anything longer, so a longer timeout is
 * treated as no timeout at all.
 */
export const maxTimeoutMs = 2_147_483_647;

const stopReason = (): DOMException => new DOMException('The tool call was aborted', 'AbortError');

/** The abort reason of a call that `call.cancel` cancelled: an `AbortError`, like any stop, whose message carries the reason. */
const cancelReason = (reason: string | undefined): DOMException =>
  new DOMException(reason === undefined || reason === '' ? 'The tool call was cancelled' : `The tool call was cancelled: ${reason}`, 'AbortError');

/**
 * Turns a tool's return value into the settlement the parent receives. Never
 * throws: a result whose JSON check throws (a `toJSON`, a getter, a `Proxy`
 * trap) fails with `invalidResult`, described by the one safe `describeError`.
 */
function settleWithResult(index: number, call: ToolCall, result: unknown): ToolCallSettledEvent {
  return nonJsonFailure(index, call, result, "the tool's result") ?? { type: 'call.succeeded', index, output: { id: call.id, result } };
}

/**
 * The `invalidResult` settlement of a value that is not JSON (`what` names it
 * in the message), or `undefined` when it is JSON. Never throws.
 */
function nonJsonFailure(index: number, call: ToolCall, value: unknown, what: string): ToolCallSettledEvent | undefined {
  let problem: string | undefined;
  let error: unknown = value;
  try {
    problem = describeNonJson(value);
  } catch (thrown) {
    // A `toJSON`, a getter or a Proxy trap that throws: JSON.stringify would throw too, so the model
    // could not read it. The failure keeps what was thrown, never the value that throws when read.
    problem = `reading it threw: ${describeError(thrown)}`;
    error = thrown;
  }
  if (problem === undefined) return undefined;
  return { type: 'call.failed', index, failure: toolFailure(index, call, 'invalidResult', `${what} is not JSON: ${problem}`, error) };
}

/** Turns what a tool threw or rejected with into the settlement the parent receives. Never throws, whatever it was. */
function settleWithError(index: number, call: ToolCall, error: unknown): ToolCallSettledEvent {
  return { type: 'call.failed', index, failure: failureFromError(index, call, error) };
}

type Scope = ActorScope<ToolCallSnapshot, ToolCallEvent>;

/**
 * Per-actor state kept off the snapshot (as XState's `fromPromise` keeps its
 * controllers), keyed weakly by actor, and counted: most calls never read
 * `signal` and have no timeout, and with nothing in the table each of a
 * call's lookups is a number comparison, not a hash.
 */
class ActorTable<V> {
  readonly #byActor = new WeakMap<AnyActorRef, V>();
  #count = 0;

  get(self: AnyActorRef): V | undefined {
    return this.#count === 0 ? undefined : this.#byActor.get(self);
  }

  set(self: AnyActorRef, value: V): void {
    if (!this.#byActor.has(self)) this.#count++;
    this.#byActor.set(self, value);
  }

  /** @returns whether it held `self`. */
  delete(self: AnyActorRef): boolean {
    if (this.#count === 0 || !this.#byActor.delete(self)) return false;
    this.#count--;
    return true;
  }
}

/**
 * What a tool executor gets with each call. A class, so that a call costs one
 * object: the `AbortController` is made when the tool first reads `signal`
 * (most tools never do, and one per call was a measurable share of the
 * overhead), and `reportProgress` is bound when first read.
 */
class RunContext implements ToolRunContext {
  readonly index: number;
  readonly call: ToolCall;
  readonly idempotencyKey?: string;
  readonly approved: boolean;
  readonly attempt: number;
  readonly #scope: Scope;
  readonly #controllers: ActorTable<AbortController>;
  readonly #timeoutReasons: ActorTable<DOMException>;

  constructor(
    index: number,
    call: ToolCall,
    scope: Scope,
    controllers: ActorTable<AbortController>,
    timeoutReasons: ActorTable<DOMException>,
    input: ToolCallInput,
  ) {
    this.index = index;
    this.call = call;
    if (input.idempotencyKey !== undefined) this.idempotencyKey = input.idempotencyKey;
    this.approved = input.approved === true;
    this.attempt = input.attempt ?? 1;
    this.#scope = scope;
    this.#controllers = controllers;
    this.#timeoutReasons = timeoutReasons;
  }

  get signal(): AbortSignal {
    const self = this.#scope.self;
    let controller = this.#controllers.get(self);
    if (controller === undefined) {
      controller = new AbortController();
      const now = self.getSnapshot();
      if (now.status === 'active' && now.value === 'running') this.#controllers.set(self, controller);
      else controller.abort(this.#timeoutReasons.get(self) ?? stopReason());
    }
    return controller.signal;
  }

  get reportProgress(): (update: ToolProgress) => void {
    return (update) => {
      const { self, system } = this.#scope;
      const now = self.getSnapshot();
      const parent = parentOf(self);
      if (now.status !== 'active' || now.value !== 'running' || parent === undefined) return;
      const event: ToolCallProgressEvent = { type: 'call.progress', index: this.index, progress: update.progress };
      if (update.total !== undefined) event.total = update.total;
      if (update.message !== undefined) event.message = update.message;
      relay(system, self, parent, event);
    };
  }
}

/**
 * Creates the invocation actor logic around a tool executor.
 *
 * @param execute - runs one call; gets the call, its index and an `AbortSignal`.
 * @param options - `timeoutFor(call)` gives a tool's own timeout.
 * @returns actor logic to provide as the batch machine's `runTool` actor.
 * @example
 * ```ts
 * const runTool = createToolCallLogic(async (call) => ({ echoed: call.arguments }));
 * const machine = toolBatchMachine.provide({ actors: { runTool } });
 * ```
 */
export function createToolCallLogic(
  execute: ToolExecutor,
  options: ToolCallLogicOptions = {},
): ToolCallLogic {
  // Keyed by actor so that the logic object itself stays shareable and stateless.
  const controllers = new ActorTable<AbortController>();
  /** The calls whose timeout is scheduled. */
  const timed = new ActorTable<true>();
  /** The abort reason of each call that timed out or was cancelled, for a tool that reads `signal` only afterwards. */
  const timeoutReasons = new ActorTable<DOMException>();
  /** The streams being pulled, to `return()` when their call stops, times out or fails on a bad partial. */
  const streams = new ActorTable<AsyncIterator<unknown>>();
  const stopStream = (self: AnyActorRef): void => {
    const stream = streams.get(self);
    if (stream === undefined) return;
    streams.delete(self);
    closeStream(stream);
  };
  const cancelTimeout = (self: AnyActorRef, system: ActorSystem<ActorSystemInfo>): void => {
    if (timed.delete(self)) system.scheduler.cancel(self, timeoutEventId);
  };
  /** Aborts the tool's signal, if the tool ever read it. The reason is made only then: a DOMException is costly. */
  const abort = (self: AnyActorRef, reason: () => unknown): void => {
    const controller = controllers.get(self);
    if (controller === undefined) return;
    controllers.delete(self);
    controller.abort(reason());
  };
  const { timeoutFor } = options;

  /**
   * Reports a settlement: to the parent first (so it can reap us now), then to ourselves.
   * The actor finishes only if the parent did not stop it: an actor that finished by itself
   * would make XState send `xstate.done.actor.*` to a parent that may have just ended.
   */
  const report = (scope: Scope, settlement: ToolCallSettledEvent): void => {
    const { self, system } = scope;
    const parent = parentOf(self);
    if (parent) relay(system, self, parent, settlement);
    // The parent usually reaps (stops) this actor while handling the settlement.
    if (self.getSnapshot().status === 'active') relay(system, self, self, { type: 'tool.settled', settlement } satisfies ToolCallEvent as EventObject);
  };
  /** Delivers the tool's own settlement, unless the call already timed out or was stopped. */
  const deliver = (scope: Scope, settlement: ToolCallReport): void => {
    const now = scope.self.getSnapshot();
    if (now.status !== 'active' || now.value !== 'running') return;
    controllers.delete(scope.self);
    stopStream(scope.self);
    if (settlement.type === 'call.approvalRequested') {
      // The batch stops this actor and holds the call, without a lane, until it is approved or denied.
      const parent = parentOf(scope.self);
      if (parent) relay(scope.system, scope.self, parent, settlement);
      return;
    }
    report(scope, withRetry(now.input, settlement));
  };
  /** A failure that is to be retried gets `retryInMs`; a final failure after retries, `attempts`. */
  const withRetry = (input: ToolCallInput, settlement: ToolCallSettledEvent): ToolCallSettledEvent => {
    if (settlement.type !== 'call.failed') return settlement;
    const attempt = input.attempt ?? 1;
    const retryInMs = options.retryFor?.(input.call, settlement.failure, attempt, input.retry);
    if (retryInMs !== undefined) return { ...settlement, retryInMs };
    if (attempt === 1) return settlement;
    const { failure } = settlement;
    // Made again rather than spread: toolFailure may keep `error` as a property a spread leaves out.
    const last = toolFailure(failure.index, input.call, failure.kind, failure.message, failure.error);
    last.attempts = attempt;
    return { ...settlement, failure: last };
  };

  return {
    config: execute,
    getInitialSnapshot: (_scope, input) => ({
      status: 'active',
      value: 'running',
      input,
      output: undefined,
      error: undefined,
    }),
    start: (snapshot, scope) => {
      if (snapshot.status !== 'active') return;
      const { input } = snapshot;
      const { index, call } = input;
      const { self } = scope;
      // A restored actor that had already settled (or timed out) waits for its parent: it never runs again.
      if (snapshot.value !== 'running') return;
      const timeoutMs = timeoutFor?.(call) ?? input.timeoutMs ?? undefined;
      if (timeoutMs !== undefined && timeoutMs <= maxTimeoutMs) {
        timed.set(self, true);
        scope.system.scheduler.schedule(self, self, { type: 'call.timeout' }, timeoutMs, timeoutEventId);
      }
      const runContext = new RunContext(index, call, scope as Scope, controllers, timeoutReasons, input);
      // Anything that settles while `start` is still running is delivered a microtask later,
      // as a resolved promise would be: `start` runs while the parent is still in its step, and
      // a settlement queued then would reach the parent after this actor had already finished,
      // costing a second event.
      let starting = true;
      // Reading what the tool gave can throw (a Proxy whose traps throw): that fails the call,
      // never the process, since these callbacks run outside any step's try.
      const safely = (settlement: () => ToolCallReport): ToolCallReport => {
        try {
          return settlement();
        } catch (error) {
          return settleWithError(index, call, error);
        }
      };
      const settle = (settlement: () => ToolCallReport): void => {
        if (starting) queueMicrotask(() => deliver(scope as Scope, safely(settlement)));
        else deliver(scope as Scope, safely(settlement));
      };
      const isLive = (): boolean => {
        const now = self.getSnapshot();
        return now.status === 'active' && now.value === 'running';
      };
      /** Pulls a stream the tool returned: each JSON partial goes to the parent, the end settles the call. */
      const pull = (iterable: unknown, method: (this: unknown) => unknown): void => {
        const stream = openStream(iterable, method);
        streams.set(self, stream);
        pullStream(stream, {
          isLive,
          partial: (value, count) => {
            const failure = nonJsonFailure(index, call, value, `the tool's partial result ${count}`);
            if (failure !== undefined) {
              // `deliver` calls the stream's `return()`, so the generator's `finally` runs.
              settle(() => failure);
              return false;
            }
            const parent = parentOf(self);
            if (parent !== undefined) relay(scope.system, self, parent, partialOf(index, value));
            return true;
          },
          done: (result) => settle(() => settleWithResult(index, call, result)),
          failed: (error) => settle(() => settleWithError(index, call, error)),
        });
      };
      /** What the tool gave, or its promise fulfilled with: a stream, an approval request or the result. */
      const take = (value: unknown): void => {
        const method = asyncIteratorMethod(value);
        if (method === undefined) settle(() => (ApprovalRequest.isInstance(value) ? approvalOf(index, value) : settleWithResult(index, call, value)));
        else {
          try {
            pull(value, method);
          } catch (error) {
            settle(() => settleWithError(index, call, error));
          }
        }
      };
      try {
        const result = execute(call, runContext);
        if (isPromiseLike(result)) {
          result.then(take, (error: unknown) => settle(() => settleWithError(index, call, error)));
        } else {
          take(result);
        }
      } catch (error) {
        // The tool threw, or returned a thenable whose `then` is a getter or a function that throws.
        settle(() => settleWithError(index, call, error));
      }
      starting = false;
    },
    transition: (snapshot, event, scope) => {
      if (snapshot.status !== 'active') return snapshot;
      const { self, system } = scope;
      const { index, call } = snapshot.input;
      switch ((event as { type: string }).type) {
        case 'tool.settled': {
          const { settlement } = event as Extract<ToolCallEvent, { type: 'tool.settled' }>;
          cancelTimeout(self, system);
          // After a timeout this is the timeout's own report coming back: the chart state stays `timedOut`.
          const value = snapshot.value === 'timedOut' ? 'timedOut' : settlement.type === 'call.succeeded' ? 'succeeded' : 'failed';
          return { ...snapshot, status: 'done', value, output: settlement };
        }
        case 'call.timeout': {
          if (snapshot.value !== 'running') return snapshot;
          const ms = timeoutFor?.(call) ?? snapshot.input.timeoutMs ?? undefined;
          const message = `the tool did not settle within ${ms} ms`;
          const reason = new DOMException(message, 'TimeoutError');
          timed.delete(self);
          timeoutReasons.set(self, reason);
          abort(self, () => reason);
          stopStream(self);
          const settlement: ToolCallSettledEvent = {
            type: 'call.failed',
            index,
            failure: toolFailure(index, call, 'timeout', message, reason),
          };
          // Deferred: the parent may reap this actor, which must not happen mid-transition.
          scope.defer(() => report(scope as Scope, withRetry(snapshot.input, settlement)));
          return { ...snapshot, value: 'timedOut' };
        }
        case 'call.cancel': {
          if (snapshot.value !== 'running') return snapshot;
          // The batch stops this actor right after: only the signal's reason is this event's to set.
          const reason = cancelReason((event as Extract<ToolCallEvent, { type: 'call.cancel' }>).reason);
          cancelTimeout(self, system);
          timeoutReasons.set(self, reason);
          abort(self, () => reason);
          return snapshot;
        }
        case 'xstate.stop': {
          cancelTimeout(self, system);
          abort(self, stopReason);
          stopStream(self);
          return { ...snapshot, status: 'stopped' };
        }
        default:
          return snapshot;
      }
    },
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as ToolCallSnapshot,
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The invocation actor's states as a statechart, for diagrams and for checking
 * that `createToolCallLogic` only takes these edges. It is not run.
 *
 * @example
 * ```ts
 * import { toDirectedGraph } from 'xstate/graph';
 * const graph = toDirectedGraph(toolCallChart);
 * ```
 */
export const toolCallChart = setup({
  types: {
    input: {} as ToolCallInput,
    context: {} as { timeoutMs: number | undefined },
    events: {} as
      | ToolCallEvent
      | { type: 'tool.resolved' }
      | { type: 'tool.rejected' }
      | { type: 'tool.resultNotJson' }
      | { type: 'tool.yielded' }
      | { type: 'tool.partialNotJson' },
  },
  delays: {
    callTimeout: ({ context }) => context.timeoutMs ?? Infinity,
  },
  actions: {
    runToolWithSignal: () => {},
    notifyParent: () => {},
    abortSignalWithTimeoutError: () => {},
    relayPartial: () => {},
    returnStream: () => {},
  },
}).createMachine({
  id: 'toolCall',
  initial: 'running',
  context: ({ input }) => ({ timeoutMs: input.timeoutMs ?? undefined }),
  states: {
    running: {
      description:
        "Runs the tool with an AbortSignal; the timeout runs on the actor system clock. A streaming tool's stream is returned (its finally runs) when the call leaves this state.",
      entry: 'runToolWithSignal',
      on: {
        'tool.resolved': { target: 'succeeded', actions: 'notifyParent' },
        'tool.resultNotJson': { target: 'failed', actions: 'notifyParent' },
        'tool.rejected': { target: 'failed', actions: 'notifyParent' },
        'tool.yielded': { actions: 'relayPartial', description: 'A streaming tool yielded a JSON value: the parent gets call.partial.' },
        'tool.partialNotJson': { target: 'failed', actions: 'notifyParent' },
      },
      after: {
        callTimeout: { target: 'timedOut', actions: ['abortSignalWithTimeoutError', 'notifyParent'] },
      },
      exit: 'returnStream',
    },
    succeeded: { type: 'final', description: 'The tool returned a JSON value; the parent got call.succeeded.' },
    failed: {
      type: 'final',
      description: 'The tool threw, rejected, or returned or yielded a value that is not JSON; the parent got call.failed.',
    },
    timedOut: {
      type: 'final',
      description: 'The timeout fired first: the signal is aborted with a TimeoutError; the parent got call.failed.',
    },
  },
});
