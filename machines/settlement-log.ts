/**
 * An append-only log of settlements that is a value: appending returns a new
 * log and never changes the old one, so every snapshot that holds a log keeps
 * seeing what it saw. It survives `JSON.stringify` as plain arrays.
 *
 * Why chunks: copying one array of K settlements per completion would make a
 * batch O(K²). Here an append copies the tail (at most `chunkSize` entries),
 * and a full tail is moved into the list of chunks, which is copied once per
 * `chunkSize` appends: about K / chunkSize² copies per append, linear for any
 * batch a process holds.
 */
import type { ToolFailure } from '../src/core/schemas.js';

/** How one call settled, at its index. */
export type Settlement =
  | { index: number; status: 'succeeded'; output: { id: string; result: unknown } }
  /** `cancelled`: `call.cancel` settled it, with a failure of kind `cancelled`. */
  | { index: number; status: 'failed' | 'aborted' | 'cancelled'; failure: ToolFailure };

/** The log: full chunks, then the tail being filled. */
export interface SettlementLog {
  readonly chunks: readonly (readonly Settlement[])[];
  readonly tail: readonly Settlement[];
}

const chunkSize = 32;

/** The empty log. */
export const emptyLog: SettlementLog = { chunks: [], tail: [] };

/**
 * A log with `settlements` appended, in order.
 *
 * @param log - the log; it is not changed.
 * @param settlements - what to append: one settlement, or several in order.
 * @returns the new log.
 * @example
 * ```ts
 * const next = appendSettlements(emptyLog, [{ index: 0, status: 'succeeded', output: { id: 'a', result: 1 } }]);
 * ```
 */
export function appendSettlements(log: SettlementLog, settlements: Settlement | readonly Settlement[]): SettlementLog {
  let { chunks, tail } = log;
  // `concat` takes one settlement or a list: a completion appends one without wrapping it.
  let next = tail.concat(settlements);
  while (next.length >= chunkSize) {
    chunks = chunks.concat([next.slice(0, chunkSize)]);
    next = next.slice(chunkSize);
  }
  tail = next;
  return { chunks, tail };
}

/**
 * Every settlement, by call index: `bySlot[i]` is call `i`'s, or `undefined`.
 *
 * @param log - the log.
 * @param size - the number of calls.
 * @returns one entry per call.
 * @example
 * ```ts
 * settlementsBySlot(context.settlements, context.calls.length);
 * ```
 */
export function settlementsBySlot(log: SettlementLog, size: number): Array<Settlement | undefined> {
  const bySlot = new Array<Settlement | undefined>(size).fill(undefined);
  for (const chunk of log.chunks) for (const settlement of chunk) bySlot[settlement.index] = settlement;
  for (const settlement of log.tail) bySlot[settlement.index] = settlement;
  return bySlot;
}

/**
 * The last `count` settlements, in the order they were appended.
 *
 * @param log - the log.
 * @param count - how many, at most the log's length.
 * @returns a new array.
 * @example
 * ```ts
 * const [latest] = lastSettlements(context.settlements, 1);
 * ```
 */
export function lastSettlements(log: SettlementLog, count: number): Settlement[] {
  const last: Settlement[] = [];
  for (let c = log.chunks.length, tail: readonly Settlement[] = log.tail; last.length < count; tail = log.chunks[--c]!) {
    for (let i = tail.length - 1; i >= 0 && last.length < count; i--) last.push(tail[i]!);
    if (c === 0) break;
  }
  return last.reverse();
}

/**
 * How many settlements at the end of the log are `aborted`: the calls the
 * batch aborted as it ended (nothing settles after them).
 *
 * @param log - the log.
 * @returns the count.
 * @example
 * ```ts
 * trailingAborted(context.settlements); // 3 after a failFast failure with three calls running
 * ```
 */
export function trailingAborted(log: SettlementLog): number {
  let count = 0;
  for (let c = log.chunks.length, tail: readonly Settlement[] = log.tail; ; tail = log.chunks[--c]!) {
    for (let i = tail.length - 1; i >= 0; i--) {
      if (tail[i]!.status !== 'aborted') return count;
      count++;
    }
    if (c === 0) return count;
  }
}

/**
 * The settlement of call `index`, or `undefined`: a scan from the newest, for
 * the rare step that asks about one call (a `call.cancel`).
 *
 * @param log - the log.
 * @param index - the call's index.
 * @returns its settlement, if it settled.
 * @example
 * ```ts
 * settlementOf(context.settlements, 2)?.status; // 'cancelled'
 * ```
 */
export function settlementOf(log: SettlementLog, index: number): Settlement | undefined {
  for (let c = log.chunks.length, tail: readonly Settlement[] = log.tail; ; tail = log.chunks[--c]!) {
    for (let i = tail.length - 1; i >= 0; i--) if (tail[i]!.index === index) return tail[i];
    if (c === 0) return undefined;
  }
}
