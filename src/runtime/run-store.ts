/**
 * Where a durable run keeps its checkpoints: an interface of three async
 * methods, so a run can live in a file, Redis or a database, and the file
 * store that needs nothing else.
 *
 * A checkpoint is plain JSON: the run's persisted snapshot and what it is.
 * The file store writes one JSON document per run, atomically (write to a
 * temporary file, then rename over the old one), so a crash leaves either
 * the previous checkpoint or the new one, never a torn file.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { showValue } from '../core/options.js';

/** One saved state of a durable run. */
export interface RunCheckpoint {
  /** The format's version. */
  version: 1;
  /** What was persisted: a tool batch, or an agent run. */
  kind: 'batch' | 'agent';
  /** The actor's persisted snapshot (`actor.getPersistedSnapshot()`), as plain JSON. */
  snapshot: unknown;
}

/**
 * Keeps durable runs' checkpoints by run id. Every method may be called
 * concurrently for different runs; for one run, calls come one at a time.
 *
 * @example
 * ```ts
 * const store: RunStore = createFileStore('out/runs');
 * await store.save('run-1', { version: 1, kind: 'batch', snapshot });
 * ```
 */
export interface RunStore {
  /** The run's last checkpoint, or `undefined` when there is none. */
  load(runId: string): Promise<RunCheckpoint | undefined>;
  /** Replaces the run's checkpoint. */
  save(runId: string, checkpoint: RunCheckpoint): Promise<void>;
  /** Forgets the run. */
  delete(runId: string): Promise<void>;
}

const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/**
 * Checks a run id: 1–200 characters of letters, digits, `.`, `_`, `:` and `-`,
 * so that it is safe as a file name, a Redis key and a job id.
 *
 * @param runId - the id.
 * @throws `TypeError` for anything else.
 * @example
 * ```ts
 * assertRunId('demo-1');
 * ```
 */
export function assertRunId(runId: unknown): asserts runId is string {
  if (typeof runId !== 'string' || !runIdPattern.test(runId)) {
    throw new TypeError(`Expected \`runId\` to be 1–200 letters, digits, ".", "_", ":" or "-", starting with a letter or digit, got ${showValue(runId)}`);
  }
}

/**
 * A store that keeps one JSON file per run in `dir` (`<dir>/<runId>.json`).
 *
 * @param dir - the directory; made on the first save.
 * @returns the store.
 * @example
 * ```ts
 * const store = createFileStore('out/runs');
 * ```
 */
export function createFileStore(dir: string): RunStore {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`Expected \`dir\` to be a directory path, got ${showValue(dir)}`);
  const fileOf = (runId: string): string => {
    assertRunId(runId);
    return join(dir, `${runId.replaceAll(':', '_')}.json`);
  };
  let sequence = 0;
  return {
    async load(runId) {
      let text: string;
      try {
        text = await readFile(fileOf(runId), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      return JSON.parse(text) as RunCheckpoint;
    },
    async save(runId, checkpoint) {
      const file = fileOf(runId);
      await mkdir(dir, { recursive: true });
      // Write then rename: rename replaces the file in one step, so a crash never leaves half a checkpoint.
      const temporary = `${file}.${process.pid}.${sequence++}.tmp`;
      await writeFile(temporary, JSON.stringify(checkpoint));
      await rename(temporary, file);
    },
    async delete(runId) {
      await rm(fileOf(runId), { force: true });
    },
  };
}
