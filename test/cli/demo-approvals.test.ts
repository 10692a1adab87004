/**
 * The demo's approvals, retries and durable runs: `--approve all|none`, the
 * y/n question on a terminal, the flaky tool's three attempts, and
 * `--run-id`, which checkpoints under out/runs/ and resumes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src/cli/cli.js';
import { readYesNo, type TerminalInput } from '../../src/cli/demo/approvals.js';
import { checkpointLine } from '../../src/cli/demo/checkpoint-line.js';
import { createDemoTools } from '../../src/cli/demo/tools.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A terminal whose keys were typed ahead: they arrive once the demo reads them. */
function terminal(keys: string): TerminalInput & PassThrough & { modes: boolean[] } {
  const input = new PassThrough();
  input.write(keys);
  const modes: boolean[] = [];
  return Object.assign(input, { isTTY: true as const, modes, setRawMode: (raw: boolean) => modes.push(raw) });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'demo-approvals-'));
  dirs.push(dir);
  return dir;
}

async function demo(argv: string[], stdin: CliIo['stdin'] = Readable.from([]), cwd = tempDir()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { isTTY: false, write: (chunk: string) => err.push(chunk) },
    stdin,
    cwd,
    env: {},
    now: () => 0,
  };
  const code = await main(['--timeout', '400', ...argv], io);
  return { code, cwd, stdout: out.join(''), stderr: err.join('') };
}

const denied = '{"error":{"kind":"denied","message":"the call was denied: not approved"}}';

/** The tool message of a call in the printed conversation. */
function toolMessage(stdout: string, id: string): string | undefined {
  const lines = stdout.split('\n');
  const at = lines.findIndex((line) => line.startsWith(`── tool ${id} `));
  return at === -1 ? undefined : lines[at + 1];
}

describe('the demo with approvals', () => {
  it('denies every approval with --approve none: the model reads the denial', async () => {
    const result = await demo(['--approve', 'none']);
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').slice(0, 2)).toEqual(['model scripted', 'approvals: none (--approve none)']);
    expect(result.stderr).toContain('  failed     call_10  send_email       0 ms  denied: the call was denied: not approved\n');
    expect(toolMessage(result.stdout, 'call_10')).toBe(denied);
    expect(result.stdout).toContain('- send_email failed (denied): the call was denied: not approved\n');
    expect(result.stdout).toContain('\n8 of 11 calls succeeded; 3 failed, and I read their errors.\n');
  });

  it.each([
    ['n', denied, 'failed     call_10  send_email       0 ms  denied: the call was denied: not approved'],
    ['y', '{"to":"ops@example.com","subject":"Repository report","status":"sent (pretend: the demo sends nothing)"}', 'done       call_10  send_email       0 ms  approved'],
  ])('asks on a terminal, in raw mode, one key: %s', async (answer, message, line) => {
    // Keys other than y and n are ignored.
    const stdin = terminal(`x ${answer}`);
    const result = await demo([], stdin);
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n')[1]).toBe('approvals: asked here, y or n per call (--approve all|none to decide up front)');
    expect(result.stderr).toContain('\napprove call_10 send_email({"to":"ops@example.com","subject":"Repository report"})? [y/n]\n');
    expect(result.stderr).toContain(`\n  ${line}\n`);
    expect(toolMessage(result.stdout, 'call_10')).toBe(message);
    expect(stdin.modes).toEqual([true, false]);
  });

  it('interrupts on Ctrl-C, as it would without raw mode', async () => {
    const stdin = terminal('\u0003y');
    let interrupted = 0;
    const answer = readYesNo(stdin, () => interrupted++);
    await new Promise((resolve) => setImmediate(resolve));
    expect(interrupted).toBe(1);
    expect(stdin.modes).toEqual([true, false]);
    // The promise stays pending: the process is going down.
    expect(await Promise.race([answer, Promise.resolve('pending')])).toBe('pending');
  });
});

describe('the demo with --run-id', () => {
  it('checkpoints under out/runs/, and a run started again with the id resumes from there', async () => {
    const first = await demo(['--run-id', 'demo-1']);
    expect(first.code).toBe(0);
    expect(existsSync(join(first.cwd, 'out/runs/demo-1.json'))).toBe(true);
    const again = await demo(['--run-id', 'demo-1'], undefined, first.cwd);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      [
        'model scripted',
        'approvals: all (stdin is not a terminal; --approve none to deny)',
        'run demo-1 had finished (out/runs/demo-1.json): nothing runs again; delete that file to start over',
        '',
      ].join('\n'),
    );
    expect(again.stdout).toBe(first.stdout);
  });

  it('says how far an interrupted run got', () => {
    const batch = { settled: 8, config: { calls: Array.from({ length: 11 }, (_, i) => ({ id: `call_${i + 1}` })) } };
    const snapshot = { status: 'active', context: { step: 1 }, children: { toolBatch: { snapshot: { context: batch } } } };
    expect(checkpointLine('demo-1', 'out/runs/demo-1.json', { version: 1, kind: 'agent', snapshot })).toBe(
      'resuming run demo-1 from out/runs/demo-1.json: step 1, 8 of 11 calls had settled and keep their results; the rest run',
    );
    expect(checkpointLine('demo-1', 'out/runs/demo-1.json', { version: 1, kind: 'agent', snapshot: { status: 'active' } })).toBe(
      'resuming run demo-1 from out/runs/demo-1.json',
    );
  });
});

describe('the demo tools send_email and flaky', () => {
  it('flaky succeeds on its third attempt, and fails after three when it fails more; send_email asks first', async () => {
    const asked: string[] = [];
    const results = await runToolBatch(
      [
        { id: 'a', name: 'flaky', arguments: { failures: 2 } },
        { id: 'b', name: 'flaky', arguments: { failures: 5 } },
        { id: 'c', name: 'send_email', arguments: { to: 'ops@example.com', subject: 'Hi' } },
      ],
      { tools: createDemoTools({ root }), policy: 'settleAll', approve: (request) => (asked.push(request.id), false) },
    );
    expect(results.map((result) => (result.ok ? result.output.result : [result.failure.kind, result.failure.message, result.failure.attempts]))).toEqual([
      { attempt: 3 },
      ['error', 'flaky fails its first 5 attempts; this was attempt 3', 3],
      ['denied', 'the call was denied: not approved', undefined],
    ]);
    expect(asked).toEqual(['c']);
  });
});
