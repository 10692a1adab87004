import { describe, expect, it } from 'vitest';
import { createProgressView, type ProgressEvent, type ProgressStream } from '../../src/view/progress.js';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { chunks: string[] } {
  const chunks: string[] = [];
  return { isTTY, ...(columns === undefined ? {} : { columns }), chunks, write: (chunk: string) => chunks.push(chunk) };
}

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; set: (ms: number) => void } {
  let time = 1000;
  return { now: () => time, set: (ms) => (time = 1000 + ms) };
}

const timeout = { kind: 'timeout', message: 'Timed out after 100 ms' };
const error = { kind: 'error', message: 'nope' };

/** A batch of three calls at concurrency 2, each event at its time. */
const script: Array<[number, ProgressEvent]> = [
  [
    0,
    {
      type: 'batch.started',
      step: 1,
      calls: [
        { id: 'call_1', name: 'hash_file' },
        { id: 'call_2', name: 'slow' },
        { id: 'call_3', name: 'failing' },
      ],
      options: { concurrency: 2, policy: 'settleAll' },
    },
  ],
  [0, { type: 'call.started', step: 1, index: 0, id: 'call_1', name: 'hash_file' }],
  [0, { type: 'call.started', step: 1, index: 1, id: 'call_2', name: 'slow' }],
  [12, { type: 'call.settled', step: 1, index: 0, id: 'call_1', name: 'hash_file', status: 'succeeded' }],
  [12, { type: 'call.started', step: 1, index: 2, id: 'call_3', name: 'failing' }],
  [15, { type: 'call.settled', step: 1, index: 2, id: 'call_3', name: 'failing', status: 'failed', failure: error }],
  [100, { type: 'call.settled', step: 1, index: 1, id: 'call_2', name: 'slow', status: 'failed', failure: timeout }],
  [100, { type: 'batch.settled', step: 1, status: 'succeeded' }],
];

describe('createProgressView', () => {
  it('appends one plain line per change when the stream is not a TTY', () => {
    const stream = fakeStream(false);
    const clock = manualClock();
    const view = createProgressView({ stream, now: clock.now });
    for (const [at, event] of script) {
      clock.set(at);
      view.handle(event);
      view.render(); // does nothing without a TTY
    }
    expect(stream.chunks.join('')).toBe(
      [
        'step 1 · 3 calls · concurrency 2 · settleAll',
        '  queued     call_1  hash_file',
        '  queued     call_2  slow',
        '  queued     call_3  failing',
        '  running    call_1  hash_file      0 ms',
        '  running    call_2  slow           0 ms',
        '  done       call_1  hash_file     12 ms',
        '  running    call_3  failing        0 ms',
        '  failed     call_3  failing        3 ms  error: nope',
        '  timed out  call_2  slow         100 ms  timeout: Timed out after 100 ms',
        '  batch succeeded: 1 done, 1 timed out, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('redraws the batch in place on a TTY, with cursor up and clear line', () => {
    const stream = fakeStream(true);
    const clock = manualClock();
    const view = createProgressView({ stream, now: clock.now });
    for (const [at, event] of script.slice(0, 3)) {
      clock.set(at);
      view.handle(event);
    }
    clock.set(7);
    view.render();
    const clear = '\r\x1b[2K';
    const block = (lines: string[]): string => lines.map((line) => `${clear}${line}\n`).join('');
    const header = 'step 1 · 3 calls · concurrency 2 · settleAll';
    expect(stream.chunks).toEqual([
      block([header, '  queued     call_1  hash_file', '  queued     call_2  slow', '  queued     call_3  failing']),
      '\x1b[4A' +
        block([header, '  running    call_1  hash_file      0 ms', '  queued     call_2  slow', '  queued     call_3  failing']),
      '\x1b[4A' +
        block([header, '  running    call_1  hash_file      0 ms', '  running    call_2  slow           0 ms', '  queued     call_3  failing']),
      '\x1b[4A' +
        block([header, '  running    call_1  hash_file      7 ms', '  running    call_2  slow           7 ms', '  queued     call_3  failing']),
    ]);
    stream.chunks.length = 0;
    for (const [at, event] of script.slice(3)) {
      clock.set(at);
      view.handle(event);
    }
    const final = block([
      header,
      '  done       call_1  hash_file     12 ms',
      '  timed out  call_2  slow         100 ms  timeout: Timed out after 100 ms',
      '  failed     call_3  failing        3 ms  error: nope',
    ]);
    expect(stream.chunks.slice(-2)).toEqual([`\x1b[4A${final}`, '  batch succeeded: 1 done, 1 timed out, 1 failed\n']);
    expect(stream.chunks).toHaveLength(6); // four changes, the final redraw, the summary
    stream.chunks.length = 0;
    view.render(); // a finished batch is never redrawn
    expect(stream.chunks).toEqual([]);
  });

  it('cuts lines to the terminal width so that they never wrap', () => {
    const stream = fakeStream(true, 30);
    const view = createProgressView({ stream, now: () => 0 });
    view.handle({ type: 'call.started', index: 0, id: 'call_1', name: 'a_tool_with_a_long_name' });
    expect(stream.chunks).toEqual([
      '\r\x1b[2Kbatch\n',
      '\x1b[1A\r\x1b[2Kbatch\n\r\x1b[2K  running    call_1  a_tool_…\n',
    ]);
  });

  it('follows a bare batch without batch.started, adding calls as they start, and shows aborted calls', () => {
    const stream = fakeStream(false);
    const view = createProgressView({ stream, now: () => 5 });
    view.handle({ type: 'call.started', index: 0, id: 'a', name: 'slow', lane: 0, at: 0 });
    view.handle({ type: 'model.started', step: 1, at: 0 });
    view.handle({ type: 'call.settled', index: 0, id: 'a', name: 'slow', status: 'aborted', failure: { kind: 'aborted', message: 'x' } });
    view.handle({ type: 'batch.settled', status: 'failed', at: 0 });
    view.handle({ type: 'batch.settled', status: 'failed', at: 0 }); // a second one changes nothing
    expect(stream.chunks.join('')).toBe('batch\n  running    a  slow      0 ms\n  aborted    a  slow      0 ms\n  batch failed: 1 aborted\n');
  });
});
