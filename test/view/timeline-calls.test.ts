/**
 * The timeline of a batch with approvals and retries, from a real batch run
 * on XState's SimulatedClock: each attempt is a bar in the lane it ran in,
 * and the time a call waited for an approval or backed off is drawn in rows
 * under the lanes, because the call held no lane meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { defineTool } from '../../src/runtime/tools.js';
import { callHistories } from '../../src/view/timeline-calls.js';
import { overlaps } from '../../src/view/timeline-text.js';
import { layoutTimeline, renderTimeline } from '../../src/view/timeline.js';
import { flush } from '../helpers/controlled-tool.js';
import { wellFormedXmlProblems } from '../helpers/xml.js';

/**
 * Concurrency 2: `a` works 300 ms; `b` and `d` need an approval (`b` is approved
 * at 150 ms, `d` denied at 50 ms after it asked); `c` fails its first two
 * attempts (20 ms each) and is retried 100 ms, then 200 ms later.
 */
async function batchWithApprovalsAndRetries(): Promise<ToolBatchEmitted[]> {
  const clock = new SimulatedClock();
  const wait = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const id = clock.setTimeout(resolve, ms);
      signal.addEventListener('abort', () => clock.clearTimeout(id), { once: true });
    });
  const work = defineTool({
    name: 'work',
    description: 'Works for a while',
    parameters: z.object({ ms: z.number() }),
    execute: async ({ ms }, { signal }) => {
      await wait(ms, signal);
      return ms;
    },
  });
  const pay = defineTool({
    name: 'pay',
    description: 'Pays, once approved',
    parameters: z.object({ amount: z.number() }),
    needsApproval: true,
    execute: async ({ amount }, { signal }) => {
      await wait(40, signal);
      return amount;
    },
  });
  const flaky = defineTool({
    name: 'flaky',
    description: 'Fails twice',
    parameters: z.object({}),
    retry: { attempts: 3, initialDelayMs: 100 },
    execute: async (_args, { attempt, signal }) => {
      await wait(20, signal);
      if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
      return attempt;
    },
  });
  const events: ToolBatchEmitted[] = [];
  let done = false;
  const batch = runToolBatch(
    [
      { id: 'a', name: 'work', arguments: { ms: 300 } },
      { id: 'b', name: 'pay', arguments: { amount: 500 } },
      { id: 'c', name: 'flaky', arguments: {} },
      { id: 'd', name: 'pay', arguments: { amount: 900 } },
    ],
    {
      tools: [work, pay, flaky],
      concurrency: 2,
      policy: 'settleAll',
      clock,
      onEvent: (event) => events.push(event),
      approve: (request) => new Promise((resolve) => clock.setTimeout(() => resolve(request.id === 'b'), request.id === 'b' ? 150 : 50)),
    },
  ).finally(() => (done = true));
  for (let step = 0; step < 100 && !done; step++) {
    await flush();
    clock.increment(10);
  }
  await batch;
  return events;
}

describe('callHistories', () => {
  it('reads each attempt as a run in its lane, and approval waits and backoffs as waits', async () => {
    const histories = callHistories(await batchWithApprovalsAndRetries(), 360);
    const shown = [...histories.values()].map((history) => ({
      id: history.id,
      runs: history.runs.map((run) => `${run.attempt}@lane ${run.lane} ${run.start}–${run.end} ${run.outcome}${run.failure ? `: ${run.failure.message}` : ''}`),
      waits: history.waits.map((wait) => `${wait.kind} ${wait.start}–${wait.end}`),
    }));
    expect(shown).toEqual([
      { id: 'a', runs: ['1@lane 0 0–300 succeeded'], waits: [] },
      // The moment `b` held lane 1 to ask is not a run: its wait starts when it asked.
      { id: 'b', runs: ['1@lane 1 150–190 succeeded'], waits: ['approval 0–150'] },
      {
        id: 'c',
        runs: ['1@lane 1 0–20 retried: attempt 1 failed', '2@lane 1 120–140 retried: attempt 2 failed', '3@lane 0 340–360 succeeded'],
        waits: ['backoff 20–120', 'backoff 140–340'],
      },
      { id: 'd', runs: [], waits: ['approval 20–70'] },
    ]);
  });

  it('ends runs and waits still open at the last event at `end`', () => {
    const events: ToolBatchEmitted[] = [
      { type: 'call.started', index: 0, id: 'a', name: 'pay', lane: 0, at: 0 },
      { type: 'call.approvalRequested', index: 0, id: 'a', name: 'pay', arguments: {}, at: 5 },
      { type: 'call.started', index: 1, id: 'b', name: 'work', lane: 0, at: 5 },
    ];
    const histories = [...callHistories(events, 80).values()];
    expect(histories.map((history) => [history.runs, history.waits])).toEqual([
      [[], [{ kind: 'approval', start: 5, end: 80 }]],
      [[{ lane: 0, attempt: 1, start: 5, end: 80, outcome: 'running' }], []],
    ]);
  });
});

describe('layoutTimeline with approvals and retries', () => {
  it('draws one bar per attempt, and waits in rows of their own under the lanes', async () => {
    const layout = layoutTimeline(await batchWithApprovalsAndRetries(), { width: 600 });
    expect(layout).toMatchObject({ lanes: 2, waitRows: 3, end: 360, height: 470, subtitle: '4 calls started · 2 lanes · 360 ms · batch succeeded' });
    expect(layout.plot).toEqual({ x: 76, y: 84, width: 500, height: 240 });
    expect(layout.bars.map((bar) => `${bar.id}#${bar.attempt} lane ${bar.lane} ${bar.start}–${bar.end} ${bar.outcome} y=${bar.y}`)).toEqual([
      'a#1 lane 0 0–300 succeeded y=90',
      'c#1 lane 1 0–20 retried y=138',
      'c#2 lane 1 120–140 retried y=138',
      'b#1 lane 1 150–190 succeeded y=138',
      'c#3 lane 0 340–360 succeeded y=90',
    ]);
    expect(layout.bars[1]!.tooltip).toBe('c · flaky · attempt 1 · failed, retried · 0–20 ms: attempt 1 failed');
    // Overlapping waits get rows of their own; c's second backoff reuses the row its first one left.
    expect(layout.waits.map((wait) => `${wait.id} ${wait.kind} row ${wait.row} ${wait.start}–${wait.end} y=${wait.y}`)).toEqual([
      'b approval row 0 0–150 y=186',
      'c backoff row 1 20–120 y=234',
      'd approval row 2 20–70 y=282',
      'c backoff row 1 140–340 y=234',
    ]);
    expect(layout.waits[0]!.labels.map((label) => `${label.placement} ${label.text}`)).toEqual(['inside pay', 'inside 150 ms · waiting for approval']);
    expect(layout.waits[0]!.tooltip).toBe('b · pay · waiting for approval · 0–150 ms');
    expect(layout.list.map((item) => `${item.outcome} ${item.text}`)).toEqual([
      'succeeded a · work · lane 0 · 0–300 ms · succeeded',
      'succeeded b · pay · lane 1 · 0–190 ms · succeeded · waited 150 ms for approval',
      'succeeded c · flaky · lanes 1, 0 · 0–360 ms · succeeded · 3 attempts',
      'failed d · pay · no lane · 20–70 ms · denied · waited 50 ms for approval',
    ]);
  });

  it('keeps every label apart from every other label, bar and wait', async () => {
    const layout = layoutTimeline(await batchWithApprovalsAndRetries(), { width: 600 });
    const boxes = [...layout.bars, ...layout.waits];
    const labels = boxes.flatMap((box) => box.labels.map((label) => ({ box, label })));
    expect(labels.length).toBeGreaterThan(0);
    for (const [i, a] of labels.entries()) {
      for (const other of boxes) if (other !== a.box) expect(overlaps(a.label.box, other), `${a.label.text} covers ${other.id}`).toBe(false);
      for (const b of labels.slice(i + 1)) expect(overlaps(a.label.box, b.label.box), `${a.label.text} / ${b.label.text}`).toBe(false);
    }
  });

  it('renders the waits with a hatch (approval) and a dashed outline (backoff), each in the legend', async () => {
    const svg = renderTimeline(await batchWithApprovalsAndRetries(), { width: 600 });
    expect(wellFormedXmlProblems(svg)).toEqual([]);
    expect(svg).toContain('<pattern id="approval-hatch" ');
    for (const legend of ['failed, retried', 'waiting for approval', 'backing off']) expect(svg).toContain(`>${legend}</text>`);
    expect(svg.match(/<rect [^>]*rx="3" fill="url\(#approval-hatch\)"/g)).toHaveLength(2);
    expect(svg.match(/<rect [^>]*rx="3" fill="#fff5f5" stroke="#e53e3e" stroke-dasharray="4 3"/g)).toHaveLength(2);
    expect(svg.match(/<rect [^>]*rx="3" fill="#feb2b2"/g)).toHaveLength(2); // two retried attempts
    expect(svg.match(/>no lane<\/text>/g)).toHaveLength(3);
  });

  it('shows no wait rows, hatch or retry legend for a batch without them', () => {
    const svg = renderTimeline([
      { type: 'call.started', index: 0, id: 'a', name: 'work', lane: 0, at: 0 },
      { type: 'call.settled', index: 0, id: 'a', name: 'work', status: 'succeeded', at: 10 },
      { type: 'batch.settled', status: 'succeeded', at: 10 },
    ]);
    for (const absent of ['approval-hatch', 'failed, retried', 'waiting for approval', 'backing off', 'no lane']) expect(svg).not.toContain(absent);
  });
});
