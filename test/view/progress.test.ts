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

  it('shows a cancelled call with its reason, whether it ran or was still queued', () => {
    const stream = fakeStream(false);
    const clock = manualClock();
    const view = createProgressView({ stream, now: clock.now });
    const cancelled = (id: string) => ({ kind: 'cancelled', message: `the call was cancelled: ${id === 'call_1' ? 'too slow' : 'not needed'}` });
    const events: Array<[number, ProgressEvent]> = [
      [0, { type: 'batch.started', calls: [{ id: 'call_1', name: 'search' }, { id: 'call_2', name: 'search' }], options: { concurrency: 1 } }],
      [0, { type: 'call.started', index: 0, id: 'call_1', name: 'search' }],
      [5, { type: 'call.settled', index: 1, id: 'call_2', name: 'search', status: 'cancelled', failure: cancelled('call_2') }],
      [40, { type: 'call.settled', index: 0, id: 'call_1', name: 'search', status: 'cancelled', failure: cancelled('call_1') }],
    ];
    for (const [at, event] of events) {
      clock.set(at);
      view.handle(event);
    }
    expect(stream.chunks.join('').split('\n').slice(3)).toEqual([
      '  running    call_1  search      0 ms',
      '  cancelled  call_2  search            the call was cancelled: not needed',
      '  cancelled  call_1  search     40 ms  the call was cancelled: too slow',
      '',
    ]);
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

describe('createProgressView with approvals and retries', () => {
  const failure = (message: string, attempts?: number) => ({ kind: 'error', message, ...(attempts === undefined ? {} : { attempts }) });
  /** `send_email` asks and is approved at 250 ms; `flaky` fails three attempts, 400 ms then 800 ms apart. */
  const events: Array<[number, ProgressEvent]> = [
    [0, { type: 'batch.started', step: 1, calls: [{ id: 'call_1', name: 'send_email' }, { id: 'call_2', name: 'flaky' }], options: { concurrency: 2 } }],
    [0, { type: 'call.started', step: 1, index: 0, id: 'call_1', name: 'send_email' }],
    [1, { type: 'call.approvalRequested', step: 1, index: 0, id: 'call_1', name: 'send_email' }],
    [1, { type: 'call.started', step: 1, index: 1, id: 'call_2', name: 'flaky' }],
    [51, { type: 'call.retrying', step: 1, index: 1, id: 'call_2', name: 'flaky', attempt: 2, delayMs: 400, failure: failure('down') }],
    [250, { type: 'call.started', step: 1, index: 0, id: 'call_1', name: 'send_email' }],
    [260, { type: 'call.settled', step: 1, index: 0, id: 'call_1', name: 'send_email', status: 'succeeded' }],
    [451, { type: 'call.started', step: 1, index: 1, id: 'call_2', name: 'flaky' }],
    [501, { type: 'call.retrying', step: 1, index: 1, id: 'call_2', name: 'flaky', attempt: 3, delayMs: 800, failure: failure('still down') }],
    [1301, { type: 'call.started', step: 1, index: 1, id: 'call_2', name: 'flaky' }],
    [1351, { type: 'call.settled', step: 1, index: 1, id: 'call_2', name: 'flaky', status: 'failed', failure: failure('down for good', 3) }],
    [1351, { type: 'batch.settled', step: 1, status: 'succeeded' }],
  ];

  it('shows waiting for approval, then approved, and retry 2/3 in 400 ms when told the attempts', () => {
    const stream = fakeStream(false);
    const clock = manualClock();
    const view = createProgressView({ stream, now: clock.now, attempts: { flaky: 3 } });
    for (const [at, event] of events) {
      clock.set(at);
      view.handle(event);
    }
    expect(stream.chunks.join('')).toBe(
      [
        'step 1 · 2 calls · concurrency 2',
        '  queued     call_1  send_email',
        '  queued     call_2  flaky',
        '  running    call_1  send_email      0 ms',
        '  waiting    call_1  send_email      1 ms  waiting for approval',
        '  running    call_2  flaky           0 ms',
        '  retrying   call_2  flaky          50 ms  retry 2/3 in 400 ms · error: down',
        // A call's time runs from its first start, across its waits.
        '  running    call_1  send_email    250 ms  approved',
        '  done       call_1  send_email    260 ms  approved',
        '  running    call_2  flaky         450 ms  attempt 2/3',
        '  retrying   call_2  flaky         500 ms  retry 3/3 in 800 ms · error: still down',
        '  running    call_2  flaky        1300 ms  attempt 3/3',
        '  failed     call_2  flaky        1350 ms  error: down for good · 3 attempts',
        '  batch succeeded: 1 done, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('shows retry 2 in 400 ms when it does not know the tool’s attempts', () => {
    const stream = fakeStream(false);
    const view = createProgressView({ stream, now: () => 0 });
    for (const [, event] of events.slice(0, 5)) view.handle(event);
    expect(stream.chunks.at(-1)).toBe('  retrying   call_2  flaky           0 ms  retry 2 in 400 ms · error: down\n');
  });

  it('keeps a question under the batch on a TTY while it redraws, and clears it when answered', () => {
    const stream = fakeStream(true);
    const view = createProgressView({ stream, now: () => 0 });
    for (const [, event] of events.slice(0, 3)) view.handle(event);
    stream.chunks.length = 0;
    view.prompt('approve call_1 send_email({})? [y/n]');
    view.handle(events[3]![1]); // call_2 starts while the question waits
    view.prompt();
    const clear = '\r\x1b[2K';
    const block = (lines: string[]): string => lines.map((line) => `${clear}${line}\n`).join('');
    const lines = ['step 1 · 2 calls · concurrency 2', '  waiting    call_1  send_email      0 ms  waiting for approval'];
    const question = 'approve call_1 send_email({})? [y/n]';
    expect(stream.chunks).toEqual([
      `\x1b[3A${block([...lines, '  queued     call_2  flaky', question])}`,
      `\x1b[4A${block([...lines, '  running    call_2  flaky           0 ms', question])}`,
      // One line fewer: what is left below is cleared.
      `\x1b[4A${block([...lines, '  running    call_2  flaky           0 ms'])}\x1b[J`,
    ]);
  });

  it('appends a question once without a TTY', () => {
    const stream = fakeStream(false);
    const view = createProgressView({ stream, now: () => 0 });
    view.handle(events[0]![1]);
    stream.chunks.length = 0;
    view.prompt('approve call_1 send_email({})? [y/n]');
    view.prompt();
    expect(stream.chunks).toEqual(['approve call_1 send_email({})? [y/n]\n']);
  });
});

describe('createProgressView with streaming tools', () => {
  it('shows the latest partial result of a running call, cut to 40 characters, and ignores one after it settled', () => {
    const stream = fakeStream(false);
    const clock = manualClock();
    const view = createProgressView({ stream, now: clock.now });
    const events: Array<[number, ProgressEvent]> = [
      [0, { type: 'batch.started', step: 1, calls: [{ id: 'c1', name: 'crawl' }], options: { concurrency: 1 } }],
      [0, { type: 'call.started', step: 1, index: 0, id: 'c1', name: 'crawl' }],
      [10, { type: 'call.partial', step: 1, index: 0, id: 'c1', name: 'crawl', value: { pages: 3 } }],
      [20, { type: 'call.partial', step: 1, index: 0, id: 'c1', name: 'crawl', value: 'a long line\nthat goes on and on past forty characters' }],
      [30, { type: 'call.settled', step: 1, index: 0, id: 'c1', name: 'crawl', status: 'succeeded' }],
      [31, { type: 'call.partial', step: 1, index: 0, id: 'c1', name: 'crawl', value: 'late' }],
      [31, { type: 'batch.settled', step: 1, status: 'succeeded' }],
    ];
    for (const [at, event] of events) {
      clock.set(at);
      view.handle(event);
    }
    expect(stream.chunks.join('')).toBe(
      [
        'step 1 · 1 call · concurrency 1',
        '  queued     c1  crawl',
        '  running    c1  crawl      0 ms',
        '  running    c1  crawl     10 ms  partial: {"pages":3}',
        '  running    c1  crawl     20 ms  partial: a long line that goes on and on past fo…',
        '  done       c1  crawl     30 ms  partial: a long line that goes on and on past fo…',
        '  batch succeeded: 1 done',
        '',
      ].join('\n'),
    );
  });
});
