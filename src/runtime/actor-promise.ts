/**
 * The promise side of `runToolBatch` and `runAgent`: one place that starts an
 * actor, forwards what it emits, cancels it, and settles when it stops.
 */
import type { Actor, AnyActorLogic, EmittedFrom, EventFromLogic, OutputFrom } from 'xstate';
import { onAbort } from './abort-listeners.js';

/** How `actorPromise` drives the actor. */
export interface ActorPromiseOptions<TLogic extends AnyActorLogic> {
  /** Aborting it sends `cancelEvent`. */
  signal?: AbortSignal | undefined;
  /** Receives every event the actor emits. */
  onEvent?: ((event: EmittedFrom<TLogic>) => void) | undefined;
  /** The event that asks the actor to cancel (`batch.cancel`, `agent.cancel`). */
  cancelEvent: EventFromLogic<TLogic>;
}

/**
 * Starts `actor` and resolves with its output once it is done.
 *
 * A listener that throws cancels the actor, and the promise rejects with what
 * it threw: otherwise the error would surface as an uncaught exception,
 * outside the promise the caller awaits. An actor that errors rejects it too.
 *
 * @param actor - a created, not yet started actor.
 * @param options - `signal`, `onEvent` and the `cancelEvent` both of them send.
 * @returns the actor's output.
 * @example
 * ```ts
 * const output = await actorPromise(createActor(toolBatchMachine, { input }), { cancelEvent: { type: 'batch.cancel' } });
 * ```
 */
export function actorPromise<TLogic extends AnyActorLogic>(
  actor: Actor<TLogic>,
  options: ActorPromiseOptions<TLogic>,
): Promise<OutputFrom<TLogic>> {
  const { signal, onEvent, cancelEvent } = options;
  return new Promise((resolve, reject) => {
    const cancel = (): void => {
      if ((actor.getSnapshot() as { status: string }).status === 'active') actor.send(cancelEvent);
    };
    let listenerFailed = false;
    let listenerError: unknown;
    if (onEvent) {
      actor.on('*', (event) => {
        try {
          onEvent(event as EmittedFrom<TLogic>);
        } catch (error) {
          if (listenerFailed) return;
          listenerFailed = true;
          listenerError = error;
          // After the step that emitted the event: the actor is mid-transition now.
          queueMicrotask(cancel);
        }
      });
    }
    // One shared listener per signal (abort-listeners.ts): many runs may watch one request's signal.
    const stopWatching = signal === undefined ? () => {} : onAbort(signal, cancel);
    actor.subscribe({
      complete: () => {
        stopWatching();
        if (listenerFailed) reject(listenerError);
        else resolve((actor.getSnapshot() as { output: OutputFrom<TLogic> }).output);
      },
      error: (error) => {
        stopWatching();
        reject(error);
      },
    });
    try {
      actor.start();
    } catch (error) {
      // Never leave a listener on the caller's signal behind.
      stopWatching();
      throw error;
    }
    // Aborted before we got here (a caller that awaited something first): the listener never fires.
    if (signal?.aborted) cancel();
  });
}
