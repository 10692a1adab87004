/**
 * The crash test: a child process runs a durable agent
 * (test/fixtures/crash/agent.ts: eight `square` calls over two steps, three
 * at a time), checkpointed by `createFileStore` and, the same test again, by
 * `createPostgresStore` on the real PostgreSQL. Each execution appends a line
 * to a log, and waits until the test releases its call, so the test chooses
 * exactly which calls have settled when it SIGKILLs the process: after 1, 3
 * and 5 settled calls of step 1, and after the first call of step 2. Then it
 * starts the agent again with the same runId and checks that the run ends
 * with the conversation of an uninterrupted run, that no call settled before
 * the kill (per the checkpoint read at kill time) ran again, that the calls
 * running at the kill ran again, and that every call ran. The file store
 * sees at once that the killed owner's process is gone; the Postgres store's
 * lease (1 s here) has to expire first, and the test waits for that.
 * A second process started on the same run while the first lives is refused
 * and runs nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/core/chat-format.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = 'test/fixtures/crash/agent.ts';
const runId = 'crash-1';
const allCalls = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'];
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface AgentProcess {
  pid: number;
  kill(): void;
  /** Resolves when the process ends: its exit code (`null` when killed), its stdout and stderr. */
  ended: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Where one run of the agent keeps its checkpoint, and how the test reads it. */
interface Place {
  /** The run's directory: its execution log and release files (and, for the file store, its checkpoint). */
  dir: string;
  /** The fixture's arguments after `<dir> <runId>`. */
  args: string[];
  /** The checkpoint's text as the store keeps it, or `undefined`. */
  readCheckpoint(): Promise<string | undefined>;
  /** Resolves once no owner holds the run (a killed owner's lease expired). */
  untilFree(): Promise<void>;
}

/** A store the agent can run on. */
interface StoreKind {
  name: string;
  place(dir: string): Promise<Place>;
}

const fileStore: StoreKind = {
  name: 'createFileStore',
  async place(dir) {
    const file = join(dir, `${runId}.json`);
    return {
      dir,
      args: [],
      readCheckpoint: async () => (existsSync(file) ? readFileSync(file, 'utf8') : undefined),
      // The file store sees that the killed owner's process is gone.
      untilFree: async () => {},
    };
  },
};

let schemas: Promise<TestSchema> | undefined;
let placeCount = 0;
const postgresStore: StoreKind = {
  name: 'createPostgresStore',
  async place(dir) {
    schemas ??= createTestSchema();
    const { name, pool } = await schemas;
    // A schema (of the test file's own) per place: every place runs the run `crash-1`.
    const schema = `${name}_${++placeCount}`;
    await pool.query(`CREATE SCHEMA "${schema}"`);
    return {
      dir,
      args: ['postgres', schema, '1000'],
      async readCheckpoint() {
        const table = await pool.query(`SELECT to_regclass($1) AS found`, [`${schema}.xstate_parallel_tools_runs`]);
        if ((table.rows[0] as { found: string | null }).found === null) return undefined;
        const { rows } = await pool.query(`SELECT checkpoint FROM "${schema}".xstate_parallel_tools_runs WHERE run_id = $1`, [runId]);
        return (rows[0] as { checkpoint: string } | undefined)?.checkpoint;
      },
      async untilFree() {
        await until("the killed owner's lease expires", async () => {
          const { rows } = await pool.query(`SELECT count(*)::int AS held FROM "${schema}".xstate_parallel_tools_runs_leases WHERE expires_at > now()`);
          return (rows[0] as { held: number }).held === 0 ? true : undefined;
        });
      },
    };
  },
};

afterAll(async () => {
  if (schemas === undefined) return;
  const { name, pool } = await schemas;
  for (let n = 1; n <= placeCount; n++) await pool.query(`DROP SCHEMA IF EXISTS "${name}_${n}" CASCADE`);
  await (await schemas).drop();
});

function startAgent(place: Place): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, place.dir, runId, ...place.args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { pid: child.pid!, kill: () => child.kill('SIGKILL'), ended };
}

/** Polls (every 10 ms, for at most 15 s) until `probe` returns a value: the child works at its own pace. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let waited = 0; waited < 15_000; waited += 10) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

interface Execution {
  id: string;
  key: string;
  attempt: number;
  pid: number;
}

function executions(dir: string): Execution[] {
  const file = join(dir, 'executions.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [id, key, attempt, pid] = line.split(' ');
      return { id: id!, key: key!, attempt: Number(attempt), pid: Number(pid) };
    });
}

interface PersistedBatch {
  config: { calls: Array<{ id: string }> };
  lanes: Array<number | null>;
  settlements: { chunks: Array<Array<{ index: number }>>; tail: Array<{ index: number }> };
}

interface PersistedAgent {
  context: { messages: ChatMessage[] };
  children?: { toolBatch?: { snapshot: { context: PersistedBatch } } };
}

/**
 * What the stored checkpoint says: the calls that settled (a tool message in
 * the conversation, or a settlement in the current batch) and the calls
 * running (holding a lane in the current batch).
 */
async function checkpoint(place: Place): Promise<{ settled: string[]; running: string[] } | undefined> {
  const text = await place.readCheckpoint();
  if (text === undefined) return undefined;
  const agent = (JSON.parse(text) as { snapshot: PersistedAgent }).snapshot;
  const settled = new Set(agent.context.messages.flatMap((message) => (message.role === 'tool' ? [message.tool_call_id] : [])));
  const batch = agent.children?.toolBatch?.snapshot.context;
  const running: string[] = [];
  if (batch) {
    for (const settlement of [...batch.settlements.chunks.flat(), ...batch.settlements.tail]) settled.add(batch.config.calls[settlement.index]!.id);
    for (const index of batch.lanes) if (index !== null) running.push(batch.config.calls[index]!.id);
  }
  return { settled: allCalls.filter((id) => settled.has(id)), running: allCalls.filter((id) => running.includes(id)) };
}

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crash-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'release'));
  return dir;
}

type Conversation = { status: string; messages: ChatMessage[] };

let uninterruptedRun: Promise<Conversation> | undefined;

/** The same agent (on the file store), released from the start and never killed: run once, by the first test that needs it. */
function uninterrupted(): Promise<Conversation> {
  uninterruptedRun ??= (async () => {
    const place = await fileStore.place(newDir());
    writeFileSync(join(place.dir, 'release', 'all'), '');
    const { code, stdout, stderr } = await startAgent(place).ended;
    if (code !== 0) throw new Error(`the uninterrupted run exited ${code}: ${stderr}`);
    return JSON.parse(stdout) as Conversation;
  })();
  return uninterruptedRun;
}

interface KillPoint {
  settled: string[];
  running: string[];
  reran: string[];
  executions: Execution[];
  resumed: Conversation;
  firstPid: number;
}

/** Runs the agent, releases calls in order until `count` have settled, SIGKILLs it, and runs it again to the end. */
async function killAfter(kind: StoreKind, count: number): Promise<KillPoint> {
  const place = await kind.place(newDir());
  const { dir } = place;
  const first = startAgent(place);
  for (const id of allCalls.slice(0, count)) {
    await until(`${id} runs`, () => (executions(dir).some((execution) => execution.id === id) ? true : undefined));
    writeFileSync(join(dir, 'release', id), '');
    await until(`${id} is settled in the checkpoint`, async () => ((await checkpoint(place))?.settled.includes(id) ? true : undefined));
  }
  // Kill once every call the checkpoint has in a lane is executing: nothing settles meanwhile, as nothing is released.
  const atKill = await until('the running calls execute', async () => {
    const saved = await checkpoint(place);
    const started = new Set(executions(dir).map((execution) => execution.id));
    return saved && saved.running.length > 0 && saved.running.every((id) => started.has(id)) ? saved : undefined;
  });
  first.kill();
  expect((await first.ended).code).toBe(null);
  await place.untilFree();
  writeFileSync(join(dir, 'release', 'all'), '');
  const { code, stdout, stderr } = await startAgent(place).ended;
  expect(code, stderr).toBe(0);
  const log = executions(dir);
  const byFirst = new Set(log.filter((execution) => execution.pid === first.pid).map((execution) => execution.id));
  const reran = allCalls.filter((id) => byFirst.has(id) && log.some((execution) => execution.id === id && execution.pid !== first.pid));
  return { ...atKill, reran, executions: log, resumed: JSON.parse(stdout) as Conversation, firstPid: first.pid };
}

const reports = new Map<string, string>();

afterAll(() => {
  for (const key of [...reports.keys()].sort()) console.log(reports.get(key));
});

describe.each([fileStore, postgresStore])('a durable agent on $name killed mid-batch', (kind) => {
  it.concurrent.each([
    { count: 1, settled: ['c1'], running: ['c2', 'c3', 'c4'] },
    { count: 3, settled: ['c1', 'c2', 'c3'], running: ['c4', 'c5', 'c6'] },
    { count: 5, settled: ['c1', 'c2', 'c3', 'c4', 'c5'], running: ['c6'] },
    // In step 2: step 1's six calls are tool messages in the checkpointed conversation.
    { count: 7, settled: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'], running: ['c8'] },
  ])('resumes after $count settled calls, re-running only the calls that were running', { timeout: 40_000 }, async ({ count, settled, running }) => {
    const [point, expected] = await Promise.all([killAfter(kind, count), uninterrupted()]);
    reports.set(
      `${kind.name} ${count}`,
      `${kind.name}, kill after ${count} settled: settled ${point.settled.join(', ')}; running ${point.running.join(', ')}; ` +
        `re-ran ${point.reran.join(', ') || 'none'}; ${point.executions.length} executions for 8 calls; ` +
        `idempotency keys: ${[...new Set(point.executions.map((execution) => execution.key))].join(', ')}`,
    );
    expect({ settled: point.settled, running: point.running }).toEqual({ settled, running });
    // The run ends as if it had never been killed.
    expect(point.resumed).toEqual(expected);
    expect(point.resumed.status).toBe('done');
    // No call settled before the kill ran again; the calls running at the kill ran again; every call ran.
    for (const id of settled) expect(point.executions.filter((execution) => execution.id === id), id).toHaveLength(1);
    expect(point.reran).toEqual(running);
    expect(new Set(point.executions.map((execution) => execution.id))).toEqual(new Set(allCalls));
    expect(point.executions).toHaveLength(allCalls.length + running.length);
    // Every execution, before and after the kill, got the same key for its call: `${runId}:${call.id}`.
    expect(point.executions.every((execution) => execution.key === `crash-1:${execution.id}`)).toBe(true);
    // The restart took the run over from the killed owner at once: the lease names a process that is gone.
    expect(new Set(point.executions.map((execution) => execution.pid)).size).toBe(2);
  });

  it.concurrent('refuses a second process on the same run while the first lives; the second runs nothing', { timeout: 40_000 }, async () => {
    const place = await kind.place(newDir());
    const first = startAgent(place);
    await until('c1 runs', () => (executions(place.dir).some((execution) => execution.id === 'c1') ? true : undefined));
    const second = startAgent(place);
    const refused = await second.ended;
    expect(refused.code, refused.stderr).toBe(3);
    expect(JSON.parse(refused.stdout)).toEqual({
      error: 'RunLeaseError',
      runId: 'crash-1',
      message: expect.stringMatching(/^Run "crash-1" is held by another owner/) as unknown,
    });
    writeFileSync(join(place.dir, 'release', 'all'), '');
    const [done, expected] = await Promise.all([first.ended, uninterrupted()]);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual(expected);
    reports.set(`${kind.name} second`, `${kind.name}: a second process on the same run exited 3; ${executions(place.dir).length} executions for 8 calls, all by the first`);
    // Every call ran once, all of them in the first process.
    expect(executions(place.dir).map((execution) => `${execution.id} ${execution.pid}`)).toEqual(allCalls.map((id) => `${id} ${first.pid}`));
  });
});
