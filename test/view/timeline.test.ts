import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { exampleTimelineEvents } from '../../scripts/example-timeline.js';
import { estimateTextWidth, layoutTimeline, renderTimeline, type TimelineBox } from '../../src/view/timeline.js';
import { wellFormedXmlProblems } from '../helpers/xml.js';

const small: ToolBatchEmitted[] = [
  { type: 'call.started', index: 0, id: 'call_1', name: 'weather', lane: 0, at: 0 },
  { type: 'call.started', index: 1, id: 'call_2', name: 'search', lane: 1, at: 0 },
  { type: 'call.settled', index: 0, id: 'call_1', name: 'weather', status: 'succeeded', at: 100 },
  { type: 'call.started', index: 2, id: 'call_3', name: 'calculator', lane: 0, at: 100 },
  {
    type: 'call.settled',
    index: 2,
    id: 'call_3',
    name: 'calculator',
    status: 'failed',
    at: 110,
    failure: { index: 2, id: 'call_3', name: 'calculator', kind: 'error', message: 'division by <zero> & "more"', error: null },
  },
  {
    type: 'call.settled',
    index: 1,
    id: 'call_2',
    name: 'search',
    status: 'failed',
    at: 300,
    failure: { index: 1, id: 'call_2', name: 'search', kind: 'timeout', message: 'timed out after 300 ms', error: null },
  },
  { type: 'batch.settled', status: 'succeeded', at: 300 },
];

function overlaps(a: TimelineBox, b: TimelineBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('layoutTimeline', () => {
  it('draws one row per lane and one bar per call, coloured by outcome, with exact labels', () => {
    const layout = layoutTimeline(small, { width: 600 });
    expect(layout).toMatchObject({
      width: 600,
      height: 308,
      lanes: 2,
      end: 300,
      domainEnd: 300,
      subtitle: '3 calls started · 2 lanes · 300 ms · batch succeeded',
      plot: { x: 76, y: 84, width: 500, height: 96 },
    });
    expect(layout.ticks.map((tick) => `${tick.ms}@${tick.x}`)).toEqual([
      '0@76',
      '50@159.3',
      '100@242.7',
      '150@326',
      '200@409.3',
      '250@492.7',
      '300@576',
    ]);
    const bars = layout.bars.map(({ id, lane, outcome, x, y, width, labels }) => ({
      id,
      lane,
      outcome,
      x,
      y,
      width,
      labels: labels.map((label) => `${label.placement} ${label.x},${label.y} ${label.text}`),
    }));
    expect(bars).toEqual([
      { id: 'call_1', lane: 0, outcome: 'succeeded', x: 76, y: 90, width: 166.7, labels: ['inside 82,105 weather', 'inside 82,119 100 ms'] },
      {
        id: 'call_2',
        lane: 1,
        outcome: 'timedOut',
        x: 76,
        y: 138,
        width: 500,
        labels: ['inside 82,153 search', 'inside 82,167 300 ms · timed out'],
      },
      // Too short for its name: the label goes just right of the bar, where the lane is free.
      { id: 'call_3', lane: 0, outcome: 'failed', x: 242.7, y: 90, width: 16.6, labels: ['right 263.3,112 calculator · 10 ms · failed'] },
    ]);
    expect(layout.list.map(({ x, y, text }) => `${x},${y} ${text}`)).toEqual([
      '16,250 call_1 · weather · lane 0 · 0–100 ms · succeeded',
      '16,268 call_2 · search · lane 1 · 0–300 ms · timed out',
      '16,286 call_3 · calculator · lane 0 · 100–110 ms · failed',
    ]);
    expect(layout.bars[2]!.tooltip).toBe('call_3 · calculator · failed · 100–110 ms: division by <zero> & "more"');
  });

  it('puts a short bar’s label on its left, then truncates it inside, when the right is taken', () => {
    const events: ToolBatchEmitted[] = [
      { type: 'call.started', index: 0, id: 'a', name: 'a_long_tool_name', lane: 0, at: 0 },
      { type: 'call.settled', index: 0, id: 'a', name: 'a_long_tool_name', status: 'succeeded', at: 500 },
      { type: 'call.started', index: 1, id: 'b', name: 'calculator', lane: 0, at: 500 },
      { type: 'call.settled', index: 1, id: 'b', name: 'calculator', status: 'succeeded', at: 550 },
      { type: 'call.started', index: 2, id: 'c', name: 'search', lane: 0, at: 550 },
      { type: 'call.settled', index: 2, id: 'c', name: 'search', status: 'succeeded', at: 1000 },
      { type: 'batch.settled', status: 'succeeded', at: 1000 },
    ];
    const labels = layoutTimeline(events, { width: 1100 }).bars.map((bar) => bar.labels.map((label) => `${label.placement} ${label.text}`));
    expect(labels).toEqual([['inside a_long_tool_name', 'inside 500 ms'], ['inside cal…', 'inside 50 ms'], ['inside search', 'inside 450 ms']]);
  });

  it('counts time from the first start, as an agent stamps events from its own start', () => {
    const shifted = small.map((event) => ({ ...event, at: event.at + 40 }));
    expect(layoutTimeline(shifted, { width: 600 })).toEqual(layoutTimeline(small, { width: 600 }));
  });

  it('lists the calls in two columns under the axis when there are more than five', async () => {
    const layout = layoutTimeline(await exampleTimelineEvents());
    expect(layout.list.map(({ x, y, text }) => `${x},${y} ${text}`)).toEqual([
      '16,346 call_1 · weather · lane 0 · 0–120 ms · succeeded',
      '16,364 call_2 · search · lane 1 · 0–340 ms · succeeded',
      '16,382 call_3 · weather · lane 2 · 0–80 ms · succeeded',
      '16,400 call_4 · fetch_page · lane 3 · 0–260 ms · succeeded',
      '16,418 call_5 · fetch_page · lane 2 · 80–580 ms · timed out',
      '480,346 call_6 · search · lane 0 · 120–270 ms · succeeded',
      '480,364 call_7 · calculator · lane 3 · 260–320 ms · failed',
      '480,382 call_8 · search · lane 0 · 270–680 ms · succeeded',
      '480,400 call_9 · weather · lane 3 · 320–540 ms · succeeded',
      '480,418 call_10 · calculator · lane 1 · 340–370 ms · succeeded',
    ]);
    expect(layout.height).toBe(440);
  });

  it('draws a call with no settlement as still running until the last event', () => {
    const layout = layoutTimeline([{ type: 'call.started', index: 0, id: 'a', name: 'slow', lane: 0, at: 0 }]);
    expect(layout.bars.map(({ outcome, start, end }) => ({ outcome, start, end }))).toEqual([{ outcome: 'running', start: 0, end: 0 }]);
    expect(layout.subtitle).toBe('1 call started · 1 lane · 0 ms · batch still running');
  });

  it('keeps every label box of the 10-call example apart from every other label and every other bar', async () => {
    const layout = layoutTimeline(await exampleTimelineEvents());
    expect(layout.bars).toHaveLength(10);
    expect(layout.lanes).toBe(4);
    const labels = layout.bars.flatMap((bar) => bar.labels.map((label) => ({ bar, label })));
    expect(new Set(labels.map(({ bar }) => bar.id)).size).toBe(10); // every call is labelled
    for (const [i, a] of labels.entries()) {
      expect(a.label.box.x + a.label.box.width).toBeLessThanOrEqual(layout.width);
      if (a.label.placement === 'inside') {
        expect(a.label.box.x + a.label.box.width).toBeLessThanOrEqual(a.bar.x + a.bar.width);
      }
      for (const bar of layout.bars) {
        if (bar !== a.bar) expect(overlaps(a.label.box, bar), `${a.label.text} covers ${bar.id}`).toBe(false);
      }
      for (const b of labels.slice(i + 1)) expect(overlaps(a.label.box, b.label.box), `${a.label.text} / ${b.label.text}`).toBe(false);
    }
  });
});

describe('renderTimeline', () => {
  it('writes well-formed XML with escaped text, a legend, lanes and an axis', () => {
    const svg = renderTimeline(small, { width: 600, title: 'Batch <1> & co' });
    expect(wellFormedXmlProblems(svg)).toEqual([]);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="308" viewBox="0 0 600 308"');
    expect(svg).toContain('>Batch &#60;1&#62; &#38; co</text>');
    expect(svg).toContain('<title>call_3 · calculator · failed · 100–110 ms: division by &#60;zero&#62; &#38; &#34;more&#34;</title>');
    for (const legend of ['succeeded', 'failed', 'timed out', 'aborted']) expect(svg).toContain(`>${legend}</text>`);
    expect(svg).not.toContain('still running');
    expect(svg).toContain('>lane 0</text>');
    expect(svg).toContain('>lane 1</text>');
    expect(svg).toContain('>ms since the batch started</text>');
    expect(svg.match(/<rect [^>]*rx="3" fill="#c53030"/g)).toHaveLength(1); // one failed bar
    expect(svg.match(/<rect [^>]*rx="3" fill="#f6ad55"/g)).toHaveLength(1); // one timed-out bar
  });

  it('is deterministic, and the checked-in example is current', async () => {
    const events = await exampleTimelineEvents();
    const svg = renderTimeline(events);
    expect(renderTimeline(events)).toBe(svg);
    expect(wellFormedXmlProblems(svg)).toEqual([]);
    expect(readFileSync(new URL('../../visualizations/example-timeline.svg', import.meta.url), 'utf8')).toBe(svg);
  });
});

describe('estimateTextWidth', () => {
  it('measures wide letters wider than narrow ones', () => {
    expect(estimateTextWidth('search', 12)).toBe(42.12);
    expect(estimateTextWidth('mmm', 10)).toBeGreaterThan(estimateTextWidth('iii', 10) * 3);
    expect(estimateTextWidth('search', 12, true)).toBe(46.33);
  });
});

describe('timeline of a streaming tool', () => {
  const streamed: ToolBatchEmitted[] = [
    { type: 'call.started', index: 0, id: 'call_1', name: 'crawl', lane: 0, at: 0 },
    { type: 'call.partial', index: 0, id: 'call_1', name: 'crawl', value: { pages: 1 }, at: 60 },
    { type: 'call.partial', index: 0, id: 'call_1', name: 'crawl', value: { pages: 2 }, at: 150 },
    { type: 'call.settled', index: 0, id: 'call_1', name: 'crawl', status: 'succeeded', at: 300 },
    { type: 'call.partial', index: 0, id: 'call_1', name: 'crawl', value: 'late', at: 310 },
    { type: 'batch.settled', status: 'succeeded', at: 300 },
  ];

  it("marks each partial result on its call's bar, at its time, and says how many in the tooltip", () => {
    const layout = layoutTimeline(streamed, { width: 600 });
    const [bar] = layout.bars;
    expect(bar!.partials).toEqual([
      { at: 60, x: 176 },
      { at: 150, x: 326 },
    ]);
    expect(bar!.tooltip).toBe('call_1 · crawl · succeeded · 0–300 ms · 2 partial results');
    const svg = renderTimeline(streamed, { width: 600 });
    expect(svg.match(/<path d="M176 /g)).toHaveLength(1);
    expect(svg.match(/<path d="M326 /g)).toHaveLength(1);
    expect(svg).toContain('>partial result</text>');
    expect(wellFormedXmlProblems(svg)).toEqual([]);
    expect(renderTimeline(small)).not.toContain('partial result');
  });
});

