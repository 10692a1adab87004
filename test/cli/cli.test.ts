import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src/cli/cli.js';
import { jsonErrorOf } from '../helpers/json-error.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = 'test/fixtures';

function fakeIo(options: { stdin?: string; cwd?: string; env?: Record<string, string> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { isTTY: false, write: (chunk: string) => err.push(chunk) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    cwd: options.cwd ?? root,
    env: options.env ?? {},
    now: () => 0,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function cli(argv: string[], options?: Parameters<typeof fakeIo>[0]) {
  const { io, stdout, stderr } = fakeIo(options);
  const code = await main(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

const runArgs = ['run', `${fixtures}/assistant-message.json`, '--tools', `${fixtures}/tools.ts`];

const expectedToolMessages = [
  { role: 'tool', tool_call_id: 'call_1', content: '3' },
  { role: 'tool', tool_call_id: 'call_2', content: '"HI"' },
  {
    role: 'tool',
    tool_call_id: 'call_3',
    content: JSON.stringify({
      error: {
        kind: 'invalidArguments',
        message: `Invalid arguments for "add": arguments are not valid JSON: ${jsonErrorOf('{"a":1,')}`,
      },
    }),
  },
  { role: 'tool', tool_call_id: 'call_4', content: '{"error":{"kind":"error","message":"no luck"}}' },
];

describe('xstate-parallel-tools run', () => {
  it('runs one assistant message as a batch and prints the tool messages in tool_calls order (settleAll by default)', async () => {
    const result = await cli(runArgs);
    expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(expectedToolMessages, null, 2)}\n`, stderr: '' });
  });

  it('reads the message from stdin with -, and takes tools exported by name', async () => {
    const message = readFileSync(join(root, fixtures, 'add-only-message.json'), 'utf8');
    const result = await cli(['run', '-', '--tools', `${fixtures}/named-tools.ts`, '--concurrency', '1'], { stdin: message });
    expect(result).toEqual({ code: 0, stdout: '[\n  {\n    "role": "tool",\n    "tool_call_id": "call_1",\n    "content": "42"\n  }\n]\n', stderr: '' });
  });

  it('prints the successes and exits 1 with one line when the batch fails under joinAll', async () => {
    const result = await cli([...runArgs, '--policy', 'joinAll']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual(expectedToolMessages.slice(0, 2));
    expect(result.stderr).toBe(
      'xstate-parallel-tools: the batch failed (joinAll): call_3 add: invalidArguments: Invalid arguments for "add": ' +
        `arguments are not valid JSON: ${jsonErrorOf('{"a":1,')} (and 1 more)\n`,
    );
  });

  it.each([
    [['run', `${fixtures}/missing.json`, '--tools', `${fixtures}/tools.ts`], 'cannot read test/fixtures/missing.json: no such file'],
    [['run', fixtures, '--tools', `${fixtures}/tools.ts`], 'cannot read test/fixtures: it is a directory'],
    [['run', `${fixtures}/not-json.json`, '--tools', `${fixtures}/tools.ts`], 'test/fixtures/not-json.json is not JSON: Unexpected end of JSON input'],
    [
      ['run', `${fixtures}/not-assistant.json`, '--tools', `${fixtures}/tools.ts`],
      'test/fixtures/not-assistant.json is not an assistant message with tool_calls (role: Invalid input: expected "assistant"; tool_calls: Invalid input: expected array, received undefined)',
    ],
    [
      ['run', `${fixtures}/assistant-message.json`, '--tools', `${fixtures}/no-tools.ts`],
      'test/fixtures/no-tools.ts exports no tools: export default an array of tools, or export tools by name',
    ],
    [['run', `${fixtures}/assistant-message.json`, '--tools', `${fixtures}/nope.ts`], 'cannot import test/fixtures/nope.ts: module not found'],
    [[...runArgs, '--policy', 'fastest'], '--policy must be one of joinAll, failFast, settleAll, got "fastest"'],
    [[...runArgs, '--concurrency', '0'], '--concurrency must be an integer from 1 up or Infinity, got "0"'],
    [[...runArgs, '--timeout', 'soon'], '--timeout must be a number of ms above 0, got "soon"'],
    [[...runArgs, '--bogus'], 'unknown flag --bogus (see --help)'],
    [[...runArgs, '--model', 'scripted'], '--model is a demo flag; run takes --tools, --concurrency, --policy and --timeout'],
    [['run', `${fixtures}/assistant-message.json`], 'run needs --tools <module>'],
    [['run'], 'run needs an assistant message file, or - for stdin'],
    [['frobnicate'], 'unknown command "frobnicate" (commands: demo, run; see --help)'],
    [['--model', 'gpt-4o'], '--model must be scripted or openai:<name>, got "gpt-4o"'],
    [['--approve', 'some'], '--approve must be all or none, got "some"'],
    [['--run-id', '../x'], '--run-id must be letters, digits, ".", "_" or "-" (up to 100, starting with a letter or digit), got "../x"'],
    [[...runArgs, '--approve', 'all'], '--approve is a demo flag; run takes --tools, --concurrency, --policy and --timeout'],
  ])('exits 2 with one line for bad input: %j', async (argv, message) => {
    expect(await cli(argv)).toEqual({ code: 2, stdout: '', stderr: `xstate-parallel-tools: ${message}\n` });
  });

  it('runs for real as a process with npx tsx, and exits 2 on a bad flag', async () => {
    const run = (args: string[], input?: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn('npx', ['tsx', 'src/cli/cli.ts', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input ?? '');
      });
    const [ok, bad] = await Promise.all([run(runArgs), run([...runArgs, '--policy', 'fastest'])]);
    expect(ok).toEqual({ code: 0, stdout: `${JSON.stringify(expectedToolMessages, null, 2)}\n`, stderr: '' });
    expect(bad).toEqual({ code: 2, stdout: '', stderr: 'xstate-parallel-tools: --policy must be one of joinAll, failFast, settleAll, got "fastest"\n' });
  });
});

describe('xstate-parallel-tools demo', () => {
  const dirs: string[] = [];
  let server: Server | undefined;
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    server?.close();
    server = undefined;
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-demo-'));
    dirs.push(dir);
    return dir;
  };

  it('prints the conversation, shows progress, writes the timeline and the inspection events', async () => {
    const cwd = tempDir();
    const result = await cli(['--timeout', '400', '--out', 'out', '--inspect', 'inspect.jsonl'], { cwd });
    expect(result.code).toBe(0);

    const file = (path: string) => readFileSync(join(root, path));
    const sha256 = (path: string) => createHash('sha256').update(file(path)).digest('hex');
    const text = (path: string) => file(path).toString('utf8');
    const words = text('README.md').split(/\s+/).filter(Boolean).length;
    const packageLines = text('package.json').split('\n').length - 1;
    const bytes = file('package.json').length;
    expect(result.stdout).toBe(
      [
        '── system',
        'You are the xstate-parallel-tools demo agent. Call every tool you need in one turn; they run in parallel.',
        '── user',
        'Look at this repository: stat and hash package.json, count the words in README.md and hash it, compute (1 + 2) * 3 ^ 2 / 4 and 2 ^ 10 - 24, call slow for 300 ms and for 2000 ms, call failing once, email the report to ops@example.com, and call flaky, which fails twice before it works. Then summarise what you found.',
        '── assistant (11 tool calls)',
        '  call_1   stat_file({"path":"package.json"})',
        '  call_2   hash_file({"path":"package.json"})',
        '  call_3   count_words({"path":"README.md"})',
        '  call_4   hash_file({"path":"README.md"})',
        '  call_5   calculate({"expression":"(1 + 2) * 3 ^ 2 / 4"})',
        '  call_6   slow({"ms":300})',
        '  call_7   failing({"reason":"to show a failed call"})',
        '  call_8   slow({"ms":2000})',
        '  call_9   calculate({"expression":"2 ^ 10 - 24"})',
        '  call_10  send_email({"to":"ops@example.com","subject":"Repository report"})',
        '  call_11  flaky({"failures":2})',
        '── tool call_1 stat_file',
        `{"path":"package.json","bytes":${bytes},"lines":${packageLines}}`,
        '── tool call_2 hash_file',
        `{"path":"package.json","sha256":"${sha256('package.json')}"}`,
        '── tool call_3 count_words',
        `{"path":"README.md","words":${words}}`,
        '── tool call_4 hash_file',
        `{"path":"README.md","sha256":"${sha256('README.md')}"}`,
        '── tool call_5 calculate',
        '{"expression":"(1 + 2) * 3 ^ 2 / 4","value":6.75}',
        '── tool call_6 slow',
        '{"waitedMs":300}',
        '── tool call_7 failing',
        '{"error":{"kind":"error","message":"failing tool failed on purpose: to show a failed call"}}',
        '── tool call_8 slow',
        '{"error":{"kind":"timeout","message":"the tool did not settle within 400 ms"}}',
        '── tool call_9 calculate',
        '{"expression":"2 ^ 10 - 24","value":1000}',
        '── tool call_10 send_email',
        '{"to":"ops@example.com","subject":"Repository report","status":"sent (pretend: the demo sends nothing)"}',
        '── tool call_11 flaky',
        '{"attempt":3}',
        '── assistant',
        'Here is what the tools found:',
        `- package.json has ${bytes} bytes in ${packageLines} lines`,
        `- package.json has SHA-256 ${sha256('package.json').slice(0, 16)}…`,
        `- README.md has ${words} words`,
        `- README.md has SHA-256 ${sha256('README.md').slice(0, 16)}…`,
        '- (1 + 2) * 3 ^ 2 / 4 = 6.75',
        '- slow waited 300 ms',
        '- failing failed (error): failing tool failed on purpose: to show a failed call',
        '- slow failed (timeout): the tool did not settle within 400 ms',
        '- 2 ^ 10 - 24 = 1000',
        '- the email to ops@example.com was approved and sent (pretend: the demo sends nothing)',
        '- flaky answered on attempt 3',
        '9 of 11 calls succeeded; 2 failed, and I read their errors.',
        '',
      ].join('\n'),
    );

    // Completion order depends on the file system; the queue and each call's last line do not.
    const lines = result.stderr.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'model scripted',
      'approvals: all (stdin is not a terminal; --approve none to deny)',
      'step 1 · 11 calls · concurrency 3 · settleAll',
      '  queued     call_1   stat_file',
    ]);
    const last = new Map(lines.filter((line) => /^ {2}\S.* call_\d/.test(line)).map((line) => [/call_\d+/.exec(line)![0], line]));
    expect([...last.values()].sort()).toEqual([
      '  done       call_1   stat_file        0 ms',
      '  done       call_10  send_email       0 ms  approved',
      '  done       call_11  flaky            0 ms  attempt 3/3',
      '  done       call_2   hash_file        0 ms',
      '  done       call_3   count_words      0 ms',
      '  done       call_4   hash_file        0 ms',
      '  done       call_5   calculate        0 ms',
      '  done       call_6   slow             0 ms',
      '  done       call_9   calculate        0 ms',
      '  failed     call_7   failing          0 ms  error: failing tool failed on purpose: to show a failed call',
      '  timed out  call_8   slow             0 ms  timeout: the tool did not settle within 400 ms',
    ]);
    // The approval and the retries, as they happened.
    expect(lines.filter((line) => /call_1[01] /.test(line) && /waiting|retrying/.test(line))).toEqual([
      '  waiting    call_10  send_email       0 ms  waiting for approval',
      '  retrying   call_11  flaky            0 ms  retry 2/3 in 100 ms · error: flaky fails its first 2 attempts; this was attempt 1',
      '  retrying   call_11  flaky            0 ms  retry 3/3 in 200 ms · error: flaky fails its first 2 attempts; this was attempt 2',
    ]);
    expect(lines.slice(-4)).toEqual(['  batch succeeded: 9 done, 1 failed, 1 timed out', 'wrote out/timeline-1.svg', 'wrote inspect.jsonl', '']);

    const svg = readFileSync(join(cwd, 'out/timeline-1.svg'), 'utf8');
    expect(svg).toContain('>Step 1: 11 tool calls · concurrency 3 · settleAll · timeout 400 ms</text>');
    expect(svg).toContain('call_8 · slow · lane ');
    expect(svg).toMatch(/call_10 · send_email · lane \d · \d+–\d+ ms · succeeded · waited \d+ ms for approval/);
    expect(svg).toMatch(/call_11 · flaky · lanes? [\d, ]+ · \d+–\d+ ms · succeeded · 3 attempts/);
    expect(svg).toContain('>waiting for approval</text>');
    expect(svg).toContain('>backing off</text>');
    expect(existsSync(join(cwd, 'out/timeline-2.svg'))).toBe(false);

    const events = readFileSync(join(cwd, 'inspect.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; src?: string; actorRef: { sessionId: string }; event?: Record<string, unknown> });
    // One invocation actor per run: call_10 runs to ask, then once approved; call_11 runs three attempts.
    const spawned = events.filter((event) => event.type === '@xstate.actor' && event.src === 'runTool');
    expect(new Set(spawned.map((event) => event.actorRef.sessionId)).size).toBe(14);
    const received = events.filter((event) => event.type === '@xstate.event').map((event) => event.event!);
    const byIndex = (list: Array<Record<string, unknown>>) => list.map((event) => event.index as number).sort((a, b) => a - b);
    const reports = received.filter((event) => event.type === 'call.succeeded' || event.type === 'call.failed');
    expect(byIndex(reports)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
    expect(byIndex(reports.filter((event) => event.type === 'call.failed'))).toEqual([6, 7, 10, 10]);
    // The batch sends its progress to the agent (notifyParent), so the inspector sees every call.started and call.settled.
    expect(byIndex(received.filter((event) => event.type === 'call.started'))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10]);
    expect(byIndex(received.filter((event) => event.type === 'call.settled'))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('talks to an OpenAI-compatible server with --model openai:<name>', async () => {
    const requests: Array<{ model: string; messages: Array<{ role: string }>; parallel_tool_calls?: boolean }> = [];
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const parsed = JSON.parse(body) as (typeof requests)[number];
        requests.push(parsed);
        const toolCalls = [{ id: 'c1', type: 'function', function: { name: 'calculate', arguments: '{"expression":"6 * 7"}' } }];
        const message = parsed.messages.some((m) => m.role === 'tool')
          ? { role: 'assistant', content: 'It is 42.' }
          : { role: 'assistant', content: null, tool_calls: toolCalls };
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: parsed.model, choices: [{ index: 0, message, finish_reason: 'stop' }] }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const cwd = tempDir();
    const result = await cli(['--model', 'openai:test-model'], { cwd, env: { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` } });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(4)).toEqual([
      '── assistant (1 tool call)',
      '  c1  calculate({"expression":"6 * 7"})',
      '── tool c1 calculate',
      '{"expression":"6 * 7","value":42}',
      '── assistant',
      'It is 42.',
      '',
    ]);
    expect(requests.map((request) => [request.model, request.messages.length, request.parallel_tool_calls])).toEqual([
      ['test-model', 2, true],
      ['test-model', 4, true],
    ]);
    expect(result.stderr.split('\n')[0]).toBe('model openai:test-model');
    expect(existsSync(join(cwd, 'out/timeline-1.svg'))).toBe(true);
  });
});

describe('the demo tools', () => {
  it('calculate evaluates arithmetic with precedence, powers and parentheses, and rejects anything else', async () => {
    const { calculate } = await import('../../src/cli/demo/calculate.js');
    expect(['(1 + 2) * 3 ^ 2 / 4', '2 ^ 3 ^ 2', '-2 ^ 2', '2 ^ -1', '1.5e3 + .5', '7 % 4', ' 2 *(3+4) '].map(calculate)).toEqual([
      6.75, 512, -4, 0.5, 1500.5, 3, 14,
    ]);
    const errors = ['2 +', '2 $ 3', '(1', '1 2', '', 'process.exit()'].map((expression) => {
      try {
        return calculate(expression);
      } catch (error) {
        return String(error);
      }
    });
    expect(errors).toEqual([
      'SyntaxError: Unexpected end of the expression',
      'SyntaxError: Unexpected "$" at position 3',
      'SyntaxError: Unexpected end of the expression',
      'SyntaxError: Unexpected "2" at position 3',
      'SyntaxError: Unexpected end of the expression',
      'SyntaxError: Unexpected "p" at position 1',
    ]);
  });

  it('keeps file tools inside the repository, fails a division by zero, and stops slow when aborted', async () => {
    const { createDemoTools } = await import('../../src/cli/demo/tools.js');
    const { runToolBatch } = await import('../../src/runtime/run-tool-batch.js');
    const { SimulatedClock } = await import('xstate');
    // The timeout runs on a simulated clock, moved on once the other four settled: a loaded machine cannot make it fire early.
    const clock = new SimulatedClock();
    let settled = 0;
    let othersSettled!: () => void;
    const others = new Promise<void>((resolve) => (othersSettled = resolve));
    const batch = runToolBatch(
      [
        { id: 'a', name: 'stat_file', arguments: { path: '../package.json' } },
        { id: 'b', name: 'hash_file', arguments: { path: '/etc/hostname' } },
        { id: 'c', name: 'count_words', arguments: { path: 'test/fixtures/not-assistant.json' } },
        { id: 'd', name: 'calculate', arguments: { expression: '1 / 0' } },
        { id: 'e', name: 'slow', arguments: { ms: 60_000 } },
      ],
      { tools: createDemoTools(), policy: 'settleAll', timeoutMs: 50, clock, onEvent: (event) => void (event.type === 'call.settled' && ++settled === 4 && othersSettled()) },
    );
    await others;
    clock.increment(50);
    const results = await batch;
    expect(results.map((result) => (result.ok ? result.output.result : `${result.failure.kind}: ${result.failure.message}`))).toEqual([
      'error: "../package.json" is outside the repository',
      'error: "/etc/hostname" is outside the repository',
      { path: 'test/fixtures/not-assistant.json', words: 6 },
      'error: 1 / 0 is not a finite number',
      'timeout: the tool did not settle within 50 ms',
    ]);
    const slow = createDemoTools().find((tool) => tool.name === 'slow')!;
    const controller = new AbortController();
    const running = slow.execute({ ms: 60_000 }, { signal: controller.signal, call: { id: 'f', name: 'slow', arguments: {} }, reportProgress: () => {}, attempt: 1, approved: false });
    controller.abort(new Error('stop'));
    await expect(running).rejects.toThrow('stop');
  });
});
