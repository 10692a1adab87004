/**
 * The line the demo prints when `--run-id` finds a checkpoint: how far the
 * run got. It peeks into the persisted snapshot (the agent's `step`, its
 * `toolBatch` child's `settled` and `calls`) only to say so; a shape it does
 * not know gets the plain line, and the run resumes all the same.
 */
import type { RunCheckpoint } from '../../runtime/run-store.js';

interface PersistedAgent {
  status?: unknown;
  context?: { step?: unknown };
  children?: { toolBatch?: { snapshot?: { context?: { settled?: unknown; config?: { calls?: unknown } } } } };
}

/**
 * Says what starting a run again from its checkpoint does.
 *
 * @param runId - the run's id.
 * @param file - where the checkpoint is, as shown to the person.
 * @param checkpoint - what the store loaded.
 * @returns one line, without a newline.
 * @example
 * ```ts
 * checkpointLine('demo-1', 'out/runs/demo-1.json', checkpoint);
 * // 'resuming run demo-1 from out/runs/demo-1.json: step 1, 8 of 11 calls had settled and keep their results; the rest run'
 * ```
 */
export function checkpointLine(runId: string, file: string, checkpoint: RunCheckpoint): string {
  const agent = (checkpoint.snapshot ?? {}) as PersistedAgent;
  if (agent.status === 'done') return `run ${runId} had finished (${file}): nothing runs again; delete that file to start over`;
  const batch = agent.children?.toolBatch?.snapshot?.context;
  const settled = batch?.settled;
  const calls = batch?.config?.calls;
  const step = agent.context?.step;
  if (typeof settled !== 'number' || !Array.isArray(calls) || typeof step !== 'number') return `resuming run ${runId} from ${file}`;
  return `resuming run ${runId} from ${file}: step ${step}, ${settled} of ${calls.length} calls had settled and keep their results; the rest run`;
}
