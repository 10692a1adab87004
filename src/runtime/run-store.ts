/**
 * Where a durable run keeps its checkpoints and who runs it: an interface of
 * four async methods, so a run can live in a file, Redis or a database, and
 * the file store that needs nothing else.
 *
 * A checkpoint is plain JSON: the run's persisted snapshot and what it is.
 * The file store writes one JSON document per run, atomically (write to a
 * temporary file, then rename over the old one), so a crash leaves either
 * the previous checkpoint or the new one, never a torn file.
 *
 * A run has one owner at a time. Before its first step a run takes a lease
 * on its `runId` from the store; it renews the lease while it lives and gives
 * it back when it ends. A second process that starts the same run while the
 * owner lives gets a `RunLeaseError` that names the run; when the owner dies
 * (even by SIGKILL) its lease expires and a restart takes the run over.
 */
import { hostname } from 'node:os';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describeError, showValue } from '../core/describe.js';
import { hasMarker } from '../core/marker.js';

/** One saved state of a durable run. */
export interface RunCheckpoint {
  /** The format's version. */
  version: 1;
  /** What was persisted: a tool batch, or an agent run. */
  kind: 'batch' | 'agent';
  /** The actor's persisted snapshot (`actor.getPersistedSnapshot()`), as plain JSON. */
  snapshot: unknown;
}

/** A run held by one owner: renew it while the run lives, release it when it ends. */
export interface RunLease {
  /** The run this lease holds. */
  readonly runId: string;
  /** This owner's token, unique per `lease()` call. */
  readonly owner: string;
  /** Extends the lease to its `ttlMs` from now; rejects with `RunLeaseError` when another owner took the run meanwhile. */
  renew(): Promise<void>;
  /** Gives the run up, so that another owner may take it at once. Never rejects for a lease already lost. */
  release(): Promise<void>;
}

/** Options of `RunStore.lease`. */
export interface RunLeaseOptions {
  /** How long the lease lasts without a renewal, in ms: an owner that dies is replaced after at most this long. */
  ttlMs: number;
}

/**
 * Keeps durable runs' checkpoints by run id, and who owns each run. Every
 * method may be called concurrently for different runs; for one run, calls
 * come one at a time from its owner.
 *
 * @example
 * ```ts
 * const store: RunStore = createFileStore('out/runs');
 * const lease = await store.lease('run-1', { ttlMs: 30_000 });
 * await store.save('run-1', { version: 1, kind: 'batch', snapshot: {} });
 * await lease.release();
 * ```
 */
export interface RunStore {
  /**
   * The run's last checkpoint, or `undefined` when there is none.
   * Rejects with `RunCheckpointError` (naming the run and where it is kept) when what is kept is not a checkpoint.
   */
  load(runId: string): Promise<RunCheckpoint | undefined>;
  /** Replaces the run's checkpoint. */
  save(runId: string, checkpoint: RunCheckpoint): Promise<void>;
  /** Forgets the run. */
  delete(runId: string): Promise<void>;
  /**
   * Takes the run for one owner. Rejects with `RunLeaseError` while another
   * owner holds a lease on it that has neither expired nor been released.
   */
  lease(runId: string, options: RunLeaseOptions): Promise<RunLease>;
}

const runLeaseErrorMarker = Symbol.for('xstate-parallel-tools.RunLeaseError');
const runCheckpointErrorMarker = Symbol.for('xstate-parallel-tools.RunCheckpointError');

/**
 * A second owner tried to run a run that another owner holds, or an owner
 * learnt on renewal that its lease was taken over.
 *
 * @example
 * ```ts
 * try { await runAgent(model, tools, { store, runId: 'run-1' }); }
 * catch (error) { if (RunLeaseError.isInstance(error)) console.log(`${error.runId} runs elsewhere`); }
 * ```
 */
export class RunLeaseError extends Error {
  readonly [runLeaseErrorMarker] = true;
  override readonly name = 'RunLeaseError';
  /** The run. */
  readonly runId: string;

  constructor(runId: string, message: string) {
    super(message);
    this.runId = runId;
  }

  /** True for any `RunLeaseError`, from any copy of this package. */
  static isInstance(value: unknown): value is RunLeaseError {
    return hasMarker(value, runLeaseErrorMarker);
  }
}

/**
 * What a store keeps for a run cannot be read as a checkpoint: a truncated,
 * empty, garbage or wrong-shape document. The run does not start, and what
 * is kept is left as it is for someone to look at.
 *
 * @example
 * ```ts
 * try { await runToolBatch(calls, { tools, store, runId: 'run-1' }); }
 * catch (error) { if (RunCheckpointError.isInstance(error)) console.log(error.location); }
 * ```
 */
export class RunCheckpointError extends Error {
  readonly [runCheckpointErrorMarker] = true;
  override readonly name = 'RunCheckpointError';
  /** The run. */
  readonly runId: string;
  /** Where the checkpoint is kept: a file path, a Redis key, a table row. */
  readonly location: string;

  constructor(runId: string, location: string, problem: string, options: { cause?: unknown } = {}) {
    super(`The checkpoint of run "${runId}" (${location}) cannot be read: ${problem}. It is left as it is; delete it to start the run afresh.`, options);
    this.runId = runId;
    this.location = location;
  }

  /** True for any `RunCheckpointError`, from any copy of this package. */
  static isInstance(value: unknown): value is RunCheckpointError {
    return hasMarker(value, runCheckpointErrorMarker);
  }
}

/**
 * Reads a stored checkpoint's text, checking its shape: every store's `load`
 * goes through here, so a bad document is the same clear error everywhere.
 *
 * @param text - what the store kept.
 * @param runId - the run, for the error.
 * @param location - where it is kept, for the error.
 * @returns the checkpoint.
 * @throws `RunCheckpointError` for anything that is not a version 1 checkpoint.
 * @example
 * ```ts
 * const checkpoint = parseCheckpoint('{"version":1,"kind":"batch","snapshot":{}}', 'run-1', 'out/runs/run-1.json');
 * ```
 */
export function parseCheckpoint(text: string, runId: string, location: string): RunCheckpoint {
  if (text.trim() === '') throw new RunCheckpointError(runId, location, 'it is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RunCheckpointError(runId, location, `it is not JSON (${describeError(error)})`, { cause: error });
  }
  return checkCheckpoint(value, runId, location);
}

/**
 * Checks that a stored value is a checkpoint, for stores that keep parsed JSON (a `jsonb` column).
 *
 * @example
 * ```ts
 * const checkpoint = checkCheckpoint({ version: 1, kind: 'batch', snapshot: {} }, 'run-1', 'runs row run-1');
 * ```
 */
export function checkCheckpoint(value: unknown, runId: string, location: string): RunCheckpoint {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RunCheckpointError(runId, location, `expected a JSON object, got ${showValue(value)}`);
  }
  const { version, kind, snapshot } = value as Record<string, unknown>;
  if (version !== 1) throw new RunCheckpointError(runId, location, `expected \`version\` 1, got ${showValue(version)}`);
  if (kind !== 'batch' && kind !== 'agent') throw new RunCheckpointError(runId, location, `expected \`kind\` "batch" or "agent", got ${showValue(kind)}`);
  if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) {
    throw new RunCheckpointError(runId, location, `expected \`snapshot\` to be an object, got ${showValue(snapshot)}`);
  }
  return { version, kind, snapshot };
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
 * A store that keeps one JSON file per run in `dir` (`<dir>/<runId>.json`),
 * and its lease beside it (`<dir>/<runId>.lease.<generation>`).
 *
 * The lease is a file made with a hard link, which fails when the name
 * exists, so of two processes that take a run at once exactly one gets it.
 * Taking over an expired lease makes the next generation's file the same
 * way; the newest generation is the owner. An owner on this host whose
 * process is gone (killed, even by SIGKILL) is replaced at once; on another
 * host, once its lease expires.
 *
 * @param dir - the directory; made on the first save or lease.
 * @returns the store.
 * @example
 * ```ts
 * const store = createFileStore('out/runs');
 * ```
 */
export function createFileStore(dir: string): RunStore {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`Expected \`dir\` to be a directory path, got ${showValue(dir)}`);
  const baseOf = (runId: string): string => {
    assertRunId(runId);
    return runId.replaceAll(':', '_');
  };
  const fileOf = (runId: string): string => join(dir, `${baseOf(runId)}.json`);
  let sequence = 0;
  const temporaryOf = (file: string): string => `${file}.${process.pid}.${sequence++}.tmp`;
  return {
    async load(runId) {
      const file = fileOf(runId);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      return parseCheckpoint(text, runId, `file ${file}`);
    },
    async save(runId, checkpoint) {
      const file = fileOf(runId);
      await mkdir(dir, { recursive: true });
      // Write then rename: rename replaces the file in one step, so a crash never leaves half a checkpoint.
      const temporary = temporaryOf(file);
      await writeFile(temporary, JSON.stringify(checkpoint));
      await rename(temporary, file);
    },
    async delete(runId) {
      await rm(fileOf(runId), { force: true });
    },
    async lease(runId, options) {
      const ttlMs = assertLeaseOptions(options);
      await mkdir(dir, { recursive: true });
      return takeFileLease(dir, baseOf(runId), runId, ttlMs, temporaryOf);
    },
  };
}

/**
 * Checks `lease()`'s options.
 *
 * @returns the lease's time to live in ms.
 * @example
 * ```ts
 * const ttlMs = assertLeaseOptions({ ttlMs: 30_000 });
 * ```
 */
export function assertLeaseOptions(options: RunLeaseOptions): number {
  const ttlMs: unknown = (options as RunLeaseOptions | undefined)?.ttlMs;
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1) {
    throw new TypeError(`Expected \`ttlMs\` to be an integer from 1 up, got ${showValue(ttlMs)}`);
  }
  return ttlMs;
}

/** What a lease file holds. */
interface FileLeaseHolder {
  owner: string;
  host: string;
  pid: number;
  expiresAt: number;
}

/** True unless the holder's lease expired, or its process on this host is gone. */
function isAlive(holder: FileLeaseHolder | undefined, now: number): boolean {
  if (holder === undefined || holder.expiresAt <= now) return false;
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but is not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<FileLeaseHolder | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<FileLeaseHolder> | null;
    if (typeof value?.owner === 'string' && typeof value.host === 'string' && typeof value.pid === 'number' && typeof value.expiresAt === 'number') {
      return value as FileLeaseHolder;
    }
  } catch {
    // A lease file that cannot be read holds nothing: it expired long ago, or was cut short.
  }
  return undefined;
}

/** The newest lease generation of a run in `dir`, 0 when there is none. */
async function newestGeneration(dir: string, base: string): Promise<number> {
  const prefix = `${base}.lease.`;
  let newest = 0;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const generation = Number(name.slice(prefix.length));
    if (Number.isSafeInteger(generation) && generation > newest) newest = generation;
  }
  return newest;
}

async function takeFileLease(
  dir: string,
  base: string,
  runId: string,
  ttlMs: number,
  temporaryOf: (file: string) => string,
): Promise<RunLease> {
  const owner = randomUUID();
  const leaseFile = (generation: number): string => join(dir, `${base}.lease.${generation}`);
  const holderText = (): string => JSON.stringify({ owner, host: hostname(), pid: process.pid, expiresAt: Date.now() + ttlMs } satisfies FileLeaseHolder);
  let generation = 0;
  for (;;) {
    const newest = await newestGeneration(dir, base);
    const holder = newest === 0 ? undefined : await readHolder(leaseFile(newest));
    if (isAlive(holder, Date.now())) {
      throw new RunLeaseError(runId, `Run "${runId}" is held by another owner (process ${holder!.pid} on ${holder!.host}) until ${new Date(holder!.expiresAt).toISOString()} unless it renews; start it again after that, or with another run id`);
    }
    const temporary = temporaryOf(leaseFile(newest + 1));
    await writeFile(temporary, holderText());
    try {
      // link fails when the name exists: of two takers of one generation, exactly one wins.
      await link(temporary, leaseFile(newest + 1));
      generation = newest + 1;
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another owner took this generation first: look again (it is alive now, so that is the error).
    } finally {
      await rm(temporary, { force: true });
    }
  }
  for (let older = generation - 1; older >= 1; older--) await rm(leaseFile(older), { force: true });
  let released = false;
  return {
    runId,
    owner,
    async renew() {
      if (released) throw new RunLeaseError(runId, `The lease on run "${runId}" was released`);
      if ((await newestGeneration(dir, base)) !== generation) {
        throw new RunLeaseError(runId, `Run "${runId}" was taken over by another owner: this owner's lease expired before it was renewed`);
      }
      const temporary = temporaryOf(leaseFile(generation));
      await writeFile(temporary, holderText());
      await rename(temporary, leaseFile(generation));
    },
    async release() {
      if (released) return;
      released = true;
      if ((await newestGeneration(dir, base)) === generation) await rm(leaseFile(generation), { force: true });
    },
  };
}
