/**
 * The XState internals this project uses, in one place. Each is marked
 * `@internal` in XState and may change in a minor release. The tests run on
 * the lowest and the newest xstate of the peer dependency range, and each
 * internal is checked once, at its first use: a missing one is an `Error`
 * that names it and the installed xstate version (`missingInternal`), not a
 * `TypeError` deep inside a step.
 *
 * - `system._clock`: the clock given to `createActor(…, { clock })`. The
 *   machines read `now()` from it for event times, so `SimulatedClock` makes
 *   every `at` exact in tests. XState has no public accessor for it.
 * - `actorRef._parent`: the invocation actor is a hand-written `ActorLogic`
 *   (one actor per call, half the cost of a child machine), and such logic
 *   has no `sendParent`: its scope exposes no public parent reference.
 * - `system._relay(source, target, event)`: sends with a source, as XState's
 *   own promise actors do, so the inspector shows which actor reported.
 * - `actor.eventListeners`: whether anyone listens to what an actor emits, so
 *   that the batch builds and emits progress events only when someone does
 *   (about 1 µs per event otherwise, two events per call).
 * - `actor._actorScope.defer` and `.emit`: the batch announces progress from
 *   a plain action, which XState executes after the listeners are attached
 *   (a root actor's first step executes at `start()`), so it can build its
 *   events only when someone listens. `enqueueActions` and `emit` decide while
 *   resolving, which for the first step happens inside `createActor`, before
 *   any `.on()`; and `enqueueActions` builds its helpers on every call. It
 *   defers the emission to the end of the step, as XState's `emit` does.
 */
import type { ActorSystem, ActorSystemInfo, AnyActorRef, EventObject } from 'xstate';
import xstatePackage from 'xstate/package.json' with { type: 'json' };

/** The xstate versions the tests pass on, as in the peer dependency range. */
export const supportedXState = '^5.33.0';

/**
 * The error for an internal the installed xstate lacks.
 *
 * @param internal - the internal, as code (`system._relay`).
 * @returns an `Error` that names it, the installed xstate version and the supported range.
 * @example
 * ```ts
 * if (typeof system._relay !== 'function') throw missingInternal('system._relay');
 * ```
 */
export function missingInternal(internal: string): Error {
  return new Error(
    `xstate-parallel-tools needs XState's internal \`${internal}\`, which the installed xstate ${xstatePackage.version} does not have: install an xstate in ${supportedXState}`,
  );
}

/** The internals already found on a real actor or system; each is checked once. */
const checked = { clock: false, parent: false, relay: false, listeners: false, scope: false };

/**
 * The actor system clock's `now()`: `SimulatedClock` has one, and so does the
 * clock `runToolBatch` and `runAgent` install. `undefined` for a clock without one.
 *
 * @param system - the actor's system (`self.system`).
 * @returns milliseconds in the clock's own origin, or `undefined`.
 * @example
 * ```ts
 * const now = systemClockNow(self.system) ?? performance.now();
 * ```
 */
export function systemClockNow(system: ActorSystem<ActorSystemInfo>): number | undefined {
  const clock = (system as { _clock?: { now?: () => number } })._clock;
  if (!checked.clock) {
    if (typeof clock !== 'object' || clock === null) throw missingInternal('system._clock');
    checked.clock = true;
  }
  // A clock without now() is XState's default one (setTimeout only).
  return typeof clock?.now === 'function' ? clock.now() : undefined;
}

/**
 * The actor's parent, if it has one.
 *
 * @param self - the actor.
 * @returns its parent actor ref, or `undefined` for a root actor.
 * @example
 * ```ts
 * const parent = parentOf(scope.self);
 * ```
 */
export function parentOf(self: AnyActorRef): AnyActorRef | undefined {
  if (!checked.parent) {
    // A root actor has the field too, set to undefined.
    if (!('_parent' in self)) throw missingInternal('actorRef._parent');
    checked.parent = true;
  }
  return (self as { _parent?: AnyActorRef })._parent;
}

/**
 * Sends `event` from `source` to `target` through the actor system, so that
 * inspection records the source.
 *
 * @param system - the actor system.
 * @param source - the sending actor.
 * @param target - the receiving actor.
 * @param event - the event.
 * @example
 * ```ts
 * relay(scope.system, scope.self, parent, { type: 'call.succeeded', index, output });
 * ```
 */
export function relay(system: ActorSystem<ActorSystemInfo>, source: AnyActorRef, target: AnyActorRef, event: EventObject): void {
  const internal = system as unknown as { _relay?: (source: AnyActorRef, target: AnyActorRef, event: EventObject) => void };
  if (!checked.relay) {
    if (typeof internal._relay !== 'function') throw missingInternal('system._relay');
    checked.relay = true;
  }
  internal._relay!(source, target, event);
}

/**
 * Milliseconds on the actor system's clock, or on the wall clock (epoch ms,
 * the same in every process, so a restored batch keeps counting) when the
 * system's clock has no `now()`.
 *
 * @param system - the actor's system.
 * @returns `now()` of the system's clock, or the wall clock's.
 * @example
 * ```ts
 * emit(({ self }) => ({ type: 'batch.settled', status: 'succeeded', at: clockNow(self.system) }));
 * ```
 */
export function clockNow(system: ActorSystem<ActorSystemInfo>): number {
  return systemClockNow(system) ?? performance.timeOrigin + performance.now();
}

/**
 * Whether any listener is attached to the events of these types that `self`
 * emits (`actor.on(type, …)` or `actor.on('*', …)`).
 *
 * @param self - the actor.
 * @param types - the event types the caller is about to emit.
 * @returns `true` when some listener would receive one.
 * @example
 * ```ts
 * if (isListened(self, ['call.settled'])) enqueue.emit(event);
 * ```
 */
export function isListened(self: AnyActorRef, types: readonly string[]): boolean {
  const listeners = (self as { eventListeners?: Map<string, Set<unknown>> }).eventListeners;
  if (!checked.listeners) {
    if (!(listeners instanceof Map)) throw missingInternal('actor.eventListeners');
    checked.listeners = true;
  }
  if (listeners === undefined) return true;
  if ((listeners.get('*')?.size ?? 0) > 0) return true;
  for (const type of types) if ((listeners.get(type)?.size ?? 0) > 0) return true;
  return false;
}

/** What `scopeOf` gives: the two parts of an actor's scope that plain actions cannot reach. */
export interface ActorScopeInternals {
  /** Runs `fn` once the current step is committed (the actor's snapshot is the new one). */
  defer(fn: () => void): void;
  /** Calls the listeners of `event.type` and of `'*'`, as XState's `emit` action does. */
  emit(event: EventObject): void;
}

/**
 * The actor's scope, as its own built-in actions get it.
 *
 * @param self - the actor (`self` in an action).
 * @returns its `defer` and `emit`.
 * @throws `Error` when the installed xstate has no such scope (`missingInternal`).
 * @example
 * ```ts
 * const scope = scopeOf(self);
 * scope.defer(() => scope.emit({ type: 'call.started' }));
 * ```
 */
export function scopeOf(self: AnyActorRef): ActorScopeInternals {
  const scope = (self as { _actorScope?: ActorScopeInternals })._actorScope;
  if (!checked.scope) {
    if (typeof scope?.defer !== 'function' || typeof scope.emit !== 'function') throw missingInternal('actor._actorScope.defer and .emit');
    checked.scope = true;
  }
  return scope!;
}
