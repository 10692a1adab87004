/**
 * The batch machine's admission queues: one FIFO of call indices per limit
 * (the batch's, and each `perToolConcurrency` tool's), so that admission is
 * FIFO by index and skips only the calls whose tool is at its limit.
 *
 * Queues are values. Their `indices` are built once and shared by every
 * snapshot; what changes is two numbers per queue (`head`, `running`), and a
 * change makes a new queue object in a new array of queues (a handful: one
 * per limited tool, plus one), never an edit of the old ones.
 */
import type { ToolCall } from '../src/core/schemas.js';

/** A FIFO of call indices that share one concurrency limit. */
export interface AdmissionQueue {
  /** The limited tool's name, or `null` for calls without a per-tool limit. */
  readonly tool: string | null;
  /** A finite limit (no limit is the batch's own, on queue 0), so it survives JSON. */
  readonly limit: number;
  readonly indices: readonly number[];
  /** The next position in `indices` to admit: the queue cursor. */
  readonly head: number;
  readonly running: number;
}

/** The queues of a batch, and which queue each limited tool's calls wait in. */
export interface Admission {
  queues: AdmissionQueue[];
  /** Tool name → queue number, for tools with a finite per-tool limit; every other call is in queue 0. */
  queueOfTool: Record<string, number>;
}

/**
 * Puts every call in its queue, in index order.
 *
 * @param calls - the batch's calls.
 * @param perTool - finite per-tool limits (an `Infinity` limit is no limit).
 * @param concurrency - the batch's limit, a finite number.
 * @returns the queues and the tool-to-queue map.
 * @example
 * ```ts
 * buildQueues(calls, { search: 2 }, 16);
 * ```
 */
export function buildQueues(calls: readonly ToolCall[], perTool: Record<string, number>, concurrency: number): Admission {
  const indices: number[][] = [[]];
  const queues: AdmissionQueue[] = [];
  const queueOfTool: Record<string, number> = {};
  const limits: number[] = [concurrency];
  const tools: Array<string | null> = [null];
  for (let index = 0; index < calls.length; index++) {
    const name = calls[index]!.name;
    const limit = Object.hasOwn(perTool, name) ? perTool[name]! : Infinity;
    let queue = 0;
    if (limit !== Infinity) {
      queue = queueOfTool[name] ?? -1;
      if (queue === -1) {
        queue = indices.push([]) - 1;
        queueOfTool[name] = queue;
        limits.push(limit);
        tools.push(name);
      }
    }
    indices[queue]!.push(index);
  }
  for (let queue = 0; queue < indices.length; queue++) {
    queues.push({ tool: tools[queue]!, limit: limits[queue]!, indices: indices[queue]!, head: 0, running: 0 });
  }
  return { queues, queueOfTool };
}

/**
 * A copy of `queue` with a new cursor and running count.
 *
 * @example
 * ```ts
 * const admitted = queueWith(queue, queue.head + 1, queue.running + 1);
 * ```
 */
export function queueWith(queue: AdmissionQueue, head: number, running: number): AdmissionQueue {
  return { ...queue, head, running };
}

/**
 * The queue whose head is the lowest waiting index among queues under their limit.
 *
 * @param queues - the queues.
 * @returns its number, or `-1` when no call can be admitted.
 * @example
 * ```ts
 * const queue = nextQueue(context.queues);
 * ```
 */
export function nextQueue(queues: readonly AdmissionQueue[]): number {
  let best = -1;
  let bestIndex = Infinity;
  for (let q = 0; q < queues.length; q++) {
    const queue = queues[q]!;
    if (queue.head >= queue.indices.length || queue.running >= queue.limit) continue;
    const index = queue.indices[queue.head]!;
    if (index < bestIndex) {
      best = q;
      bestIndex = index;
    }
  }
  return best;
}
