/**
 * The crash test: a child process runs a durable agent
 * (test/fixtures/crash/agent.ts: eight `square` calls over two steps, three
 * at a time, checkpointed by `createFileStore`). Each execution appends a line
 * to a log, and waits until the test releases its call, so the test chooses
 * exactly which calls have settled when it SIGKILLs the process: after 1, 3
 * and 5 settled calls of step 1, and after the first call of step 2. Then it
 * starts the agent again with the same runId and checks that the run ends
 * with the conversation of an uninterrupted run, that no call settled before
 * the kill (per the checkpoint read at kill time) ran again, that the calls
 * running at the kill ran again, and that every call ran.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/core/chat-format.js';

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

function startAgent(dir: string): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, runId], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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
async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let waited = 0; waited < 15_000; waited += 10) {
    const value = probe();
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
 * What the checkpoint on disk says: the calls that settled (a tool message in
 * the conversation, or a settlement in the current batch) and the calls
 * running (holding a lane in the current batch).
 */
function checkpoint(dir: string): { settled: string[]; running: string[] } | undefined {
  const file = join(dir, `${runId}.json`);
  if (!existsSync(file)) return undefined;
  const agent = (JSON.parse(readFileSync(file, 'utf8')) as { snapshot: PersistedAgent }).snapshot;
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

/** The same agent, released from the start and never killed: run once, by the first kill point that needs it. */
function uninterrupted(): Promise<Conversation> {
  uninterruptedRun ??= (async () => {
    const dir = newDir();
    writeFileSync(join(dir, 'release', 'all'), '');
    const { code, stdout, stderr } = await startAgent(dir).ended;
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
async function killAfter(count: number): Promise<KillPoint> {
  const dir = newDir();
  const first = startAgent(dir);
  for (const id of allCalls.slice(0, count)) {
    await until(`${id} runs`, () => (executions(dir).some((execution) => execution.id === id) ? true : undefined));
    writeFileSync(join(dir, 'release', id), '');
    await until(`${id} is settled in the checkpoint`, () => (checkpoint(dir)?.settled.includes(id) ? true : undefined));
  }
  // Kill once every call the checkpoint has in a lane is executing: nothing settles meanwhile, as nothing is released.
  const atKill = await until('the running calls execute', () => {
    const saved = checkpoint(dir);
    const started = new Set(executions(dir).map((execution) => execution.id));
    return saved && saved.running.length > 0 && saved.running.every((id) => started.has(id)) ? saved : undefined;
  });
  first.kill();
  expect((await first.ended).code).toBe(null);
  writeFileSync(join(dir, 'release', 'all'), '');
  const { code, stdout, stderr } = await startAgent(dir).ended;
  expect(code, stderr).toBe(0);
  const log = executions(dir);
  const byFirst = new Set(log.filter((execution) => execution.pid === first.pid).map((execution) => execution.id));
  const reran = allCalls.filter((id) => byFirst.has(id) && log.some((execution) => execution.id === id && execution.pid !== first.pid));
  return { ...atKill, reran, executions: log, resumed: JSON.parse(stdout) as Conversation, firstPid: first.pid };
}

const reports = new Map<number, string>();

afterAll(() => {
  for (const count of [...reports.keys()].sort((a, b) => a - b)) console.log(reports.get(count));
});

describe('a durable agent killed mid-batch', () => {
  it.concurrent.each([
    { count: 1, settled: ['c1'], running: ['c2', 'c3', 'c4'] },
    { count: 3, settled: ['c1', 'c2', 'c3'], running: ['c4', 'c5', 'c6'] },
    { count: 5, settled: ['c1', 'c2', 'c3', 'c4', 'c5'], running: ['c6'] },
    // In step 2: step 1's six calls are tool messages in the checkpointed conversation.
    { count: 7, settled: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'], running: ['c8'] },
  ])('resumes after $count settled calls, re-running only the calls that were running', { timeout: 20_000 }, async ({ count, settled, running }) => {
    const [point, expected] = await Promise.all([killAfter(count), uninterrupted()]);
    reports.set(
      count,
      `kill after ${count} settled: settled ${point.settled.join(', ')}; running ${point.running.join(', ')}; ` +
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
});

describe('a durable agent started twice at once', () => {
  it('runs in exactly one process; the other gets a RunLeaseError naming the run', { timeout: 20_000 }, async () => {
    const [dir, expected] = [newDir(), await uninterrupted()];
    const both = [startAgent(dir), startAgent(dir)];
    // The one that lost exits at once; the owner waits for its calls to be released.
    const lost = await Promise.race(both.map((agent) => agent.ended.then((end) => ({ agent, end }))));
    expect(lost.end.code, lost.end.stderr).toBe(3);
    expect(JSON.parse(lost.end.stdout)).toEqual({
      error: 'RunLeaseError',
      runId: 'crash-1',
      message: expect.stringMatching(/^Run "crash-1" is held by another owner \(process \d+ on .+\) until /) as unknown,
    });
    writeFileSync(join(dir, 'release', 'all'), '');
    const owner = both.find((agent) => agent !== lost.agent)!;
    const { code, stdout, stderr } = await owner.ended;
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual(expected);
    const log = executions(dir);
    reports.set(100, `started twice at once: ${log.length} executions for 8 calls, all by process ${owner.pid}; the other exited 3`);
    expect(log.map((execution) => execution.id).sort()).toEqual(allCalls);
    expect(log.every((execution) => execution.pid === owner.pid)).toBe(true);
  });
});
