/**
 * How one call ended, read from its `call.settled` event: the one mapping the
 * progress view and the timeline both label and colour.
 */

/** A settled call's outcome: a timeout and an abort are told apart from other failures. */
export type CallOutcome = 'succeeded' | 'failed' | 'timedOut' | 'aborted';

/**
 * The outcome of a `call.settled` event.
 *
 * @param event - its `status` and, for a failure, `failure.kind`.
 * @returns `succeeded`, `timedOut` (kind `timeout`), `aborted` (status or kind `aborted`) or `failed`.
 * @example
 * ```ts
 * callOutcome({ status: 'failed', failure: { kind: 'timeout' } }); // 'timedOut'
 * ```
 */
export function callOutcome(event: { status: string; failure?: { kind: string } | undefined }): CallOutcome {
  if (event.status === 'succeeded') return 'succeeded';
  if (event.status === 'aborted' || event.failure?.kind === 'aborted') return 'aborted';
  return event.failure?.kind === 'timeout' ? 'timedOut' : 'failed';
}
