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

/**
 * Puts every call in its queue, in index order.
 *
 * @param calls - the batch's calls.
 * @param perTool - finite per-tool limits (an `Infinity` limit is no limit).
 * @param concurrency - the batch's limit, a finite number.
 * @returns the queues: queue 0 for calls without a per-tool limit, then one per limited tool.
 * @example
 * ```ts
 * buildQueues(calls, { search: 2 }, 16);
 * ```
 */
export function buildQueues(calls: readonly ToolCall[], perTool: Readonly<Record<string, number>>, concurrency: number): AdmissionQueue[] {
  const indices: number[][] = [[]];
  const queues: AdmissionQueue[] = [];
  // A Map: a tool name is data (`constructor`, `__proto__`), never a key into an object with a prototype.
  const queueOfTool = new Map<string, number>();
  const limits: number[] = [concurrency];
  const tools: Array<string | null> = [null];
  for (let index = 0; index < calls.length; index++) {
    const name = calls[index]!.name;
    const limit = Object.hasOwn(perTool, name) ? (perTool[name] as number) : Infinity;
    let queue = 0;
    if (limit !== Infinity) {
      queue = queueOfTool.get(name) ?? -1;
      if (queue === -1) {
        queue = indices.push([]) - 1;
        queueOfTool.set(name, queue);
        limits.push(limit);
        tools.push(name);
      }
    }
    indices[queue]!.push(index);
  }
  for (let queue = 0; queue < indices.length; queue++) {
    queues.push({ tool: tools[queue]!, limit: limits[queue]!, indices: indices[queue]!, head: 0, running: 0 });
  }
  return queues;
}

/**
 * The queue a tool's calls wait in: its own when it has a per-tool limit, else queue 0.
 * A scan of the queues (one per limited tool, plus one) rather than a table keyed by name,
 * so that the context stays a plain JSON value in which no name is ever a property key.
 *
 * @example
 * ```ts
 * const queue = queueOfTool(context.queues, 'search');
 * ```
 */
export function queueOfTool(queues: readonly AdmissionQueue[], name: string): number {
  for (let queue = 1; queue < queues.length; queue++) if (queues[queue]!.tool === name) return queue;
  return 0;
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
