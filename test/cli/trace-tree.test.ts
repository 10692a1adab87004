/**
 * `npm start -- --trace`: the demo run's span tree on stderr, and the
 * printer (src/cli/demo/trace-tree.ts) on spans of known times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { renderSpanTree, type PrintedSpan } from '../../src/cli/demo/trace-tree.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A span that started `startMs` after the epoch and lasted `durationMs`. */
function span(id: string, parent: string | undefined, name: string, startMs: number, durationMs: number, attributes: Record<string, unknown> = {}, status: PrintedSpan['status'] = { code: 0 }): PrintedSpan {
  const time = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1e6];
  return { name, spanContext: () => ({ spanId: id }), parentSpanContext: parent === undefined ? undefined : { spanId: parent }, startTime: time(startMs), duration: time(durationMs), status, attributes };
}

describe('renderSpanTree', () => {
  it('prints each span on a line, indented under its parent in start order, with its details and duration', () => {
    const spans = [
      span('c2', 'b', 'execute_tool fetch', 3, 400, { 'gen_ai.tool.call.id': 'c2', 'xstate_parallel_tools.call.lane': 1, 'error.type': 'timeout' }, { code: 2, message: 'late' }),
      span('a', undefined, 'invoke_agent', 0, 612.25),
      span('b', 'a', 'tool_batch', 2, 500, { 'xstate_parallel_tools.batch.size': 2, 'xstate_parallel_tools.batch.policy': 'settleAll', 'xstate_parallel_tools.step': 1 }),
      span('c1', 'b', 'execute_tool add', 2.5, 1.5, { 'gen_ai.tool.call.id': 'c1', 'xstate_parallel_tools.call.lane': 0, 'xstate_parallel_tools.call.queued_ms': 0 }),
      span('w', 'c1', 'await_approval add', 2.6, 1, { 'gen_ai.tool.call.id': 'c1', 'xstate_parallel_tools.approval.decision': 'approved' }),
      span('m', 'a', 'chat', 510, 0.5, { 'xstate_parallel_tools.step': 2 }),
    ];
    expect(renderSpanTree(spans).split('\n')).toEqual([
      'invoke_agent                                                  612.3 ms',
      '├─ tool_batch  (2 calls, settleAll, step 1)                   500.0 ms',
      '│  ├─ execute_tool add  (c1, lane 0)                            1.5 ms',
      '│  │  └─ await_approval add  (approved)                         1.0 ms',
      '│  └─ execute_tool fetch  (c2, lane 1, ERROR timeout: late)   400.0 ms',
      '└─ chat  (step 2)                                               0.5 ms',
      '',
    ]);
  });
});

describe('npm start -- --trace', () => {
  it("prints the demo run's span tree on stderr: the agent, its model turns, the batch and every attempt of each call", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cli-trace-'));
    dirs.push(cwd);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['--trace', '--timeout', '400', '--out', 'out'], {
      stdout: { write: (chunk: string) => out.push(chunk) },
      stderr: { isTTY: false, write: (chunk: string) => err.push(chunk) },
      stdin: Readable.from([]),
      cwd,
      env: {},
      now: () => 0,
    });
    expect(code).toBe(0);
    const stderr = err.join('');
    const tree = stderr.slice(stderr.indexOf('trace\n') + 'trace\n'.length).trimEnd().split('\n');
    expect(tree.every((line) => / \d+\.\d ms$/.test(line))).toBe(true);
    // Names, ids and outcomes; durations, lanes and queued times depend on the machine.
    const shown = tree.map((line) =>
      line
        .replace(/\s+\d+\.\d ms$/, '')
        .replace(/, lane \d+|, queued \d+ ms/g, '')
        .replace(/: [^,)]*\)$/, ')'),
    );
    expect(shown).toEqual([
      'invoke_agent',
      '├─ chat  (step 1)',
      '├─ tool_batch  (11 calls, settleAll, step 1)',
      '│  ├─ execute_tool stat_file  (call_1)',
      '│  ├─ execute_tool hash_file  (call_2)',
      '│  ├─ execute_tool count_words  (call_3)',
      '│  ├─ execute_tool hash_file  (call_4)',
      '│  ├─ execute_tool calculate  (call_5)',
      '│  ├─ execute_tool slow  (call_6)',
      '│  ├─ execute_tool failing  (call_7, ERROR error)',
      '│  ├─ execute_tool slow  (call_8, ERROR timeout)',
      '│  ├─ execute_tool calculate  (call_9)',
      '│  ├─ execute_tool send_email  (call_10)',
      '│  │  └─ await_approval send_email  (approved)',
      '│  ├─ execute_tool flaky  (call_11, ERROR error)',
      '│  ├─ execute_tool flaky  (call_11, attempt 2, ERROR error)',
      '│  └─ execute_tool flaky  (call_11, attempt 3)',
      '└─ chat  (step 2)',
    ]);
  });
});
