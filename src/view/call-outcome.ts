/**
 * How one call ended, read from its `call.settled` event: the one mapping the
 * progress view and the timeline both label and colour.
 */

/** A settled call's outcome: a timeout, an abort and a cancel (`call.cancel`) are told apart from other failures. */
export type CallOutcome = 'succeeded' | 'failed' | 'timedOut' | 'aborted' | 'cancelled';

/**
 * The outcome of a `call.settled` event.
 *
 * @param event - its `status` and, for a failure, `failure.kind`.
 * @returns `succeeded`, `timedOut` (kind `timeout`), `aborted` (status or kind `aborted`), `cancelled` (status or kind `cancelled`) or `failed`.
 * @example
 * ```ts
 * callOutcome({ status: 'failed', failure: { kind: 'timeout' } }); // 'timedOut'
 * ```
 */
export function callOutcome(event: { status: string; failure?: { kind: string } | undefined }): CallOutcome {
  if (event.status === 'succeeded') return 'succeeded';
  if (event.status === 'aborted' || event.failure?.kind === 'aborted') return 'aborted';
  if (event.status === 'cancelled' || event.failure?.kind === 'cancelled') return 'cancelled';
  return event.failure?.kind === 'timeout' ? 'timedOut' : 'failed';
}
