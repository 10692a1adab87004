/**
 * The batch machine's admission queues: one FIFO of call indices per limit
 * (the batch's, and each `perToolConcurrency` tool's), so that admission is
 * FIFO by index and skips only the calls whose tool is at its limit.
 */
import type { ToolCall } from '../src/core/schemas.js';
import type { Slot } from './tool-batch.types.js';

/** A FIFO of call indices that share one concurrency limit. */
export interface AdmissionQueue {
  /** The limited tool's name, or `null` for calls without a per-tool limit. */
  tool: string | null;
  limit: number;
  indices: number[];
  /** The next index in `indices` to admit: the queue cursor. */
  head: number;
  running: number;
}

/** Puts every call in its queue, in index order, and makes its slot (`queued`). */
export function buildQueues(calls: ToolCall[], perTool: Record<string, number>): { queues: AdmissionQueue[]; slots: Slot[] } {
  const queues: AdmissionQueue[] = [{ tool: null, limit: Infinity, indices: [], head: 0, running: 0 }];
  const byTool = new Map<string, number>();
  const slots: Slot[] = new Array(calls.length);
  for (let index = 0; index < calls.length; index++) {
    const name = calls[index]!.name;
    let queue = 0;
    const limit = Object.hasOwn(perTool, name) ? perTool[name]! : undefined;
    if (limit !== undefined) {
      let found = byTool.get(name);
      if (found === undefined) {
        found = queues.push({ tool: name, limit, indices: [], head: 0, running: 0 }) - 1;
        byTool.set(name, found);
      }
      queue = found;
    }
    queues[queue]!.indices.push(index);
    slots[index] = { status: 'queued', queue };
  }
  return { queues, slots };
}

/** The queue whose head is the lowest waiting index among queues under their limit. */
export function nextQueue(queues: readonly AdmissionQueue[]): AdmissionQueue | undefined {
  let best: AdmissionQueue | undefined;
  for (const queue of queues) {
    if (queue.head >= queue.indices.length || queue.running >= queue.limit) continue;
    if (best === undefined || queue.indices[queue.head]! < best.indices[best.head]!) best = queue;
  }
  return best;
}
