/**
 * A batch timeline as a standalone SVG Gantt chart: one row per lane (the
 * concurrency slot a call ran in), one bar per call coloured by outcome, a
 * time axis in ms, a legend and a title.
 *
 * Layout is separate from drawing (`layoutTimeline`) so that tests can check
 * geometry, such as label boxes that never overlap, without parsing SVG.
 * Output depends only on the events: no clock, no randomness.
 */
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { estimateTextWidth, label, overlaps, truncate } from './timeline-text.js';
import { callOutcome, type CallOutcome } from './call-outcome.js';

export { estimateTextWidth } from './timeline-text.js';

/** How a bar is coloured: the call's outcome, or `running` when the events end before it settled. */
export type TimelineOutcome = CallOutcome | 'running';

/** Options of `renderTimeline` and `layoutTimeline`. */
export interface TimelineOptions {
  /** The chart's title. Default: `'Tool batch timeline'`. */
  title?: string;
  /** The SVG's width in px. Default: `960`. */
  width?: number;
}

/** An axis-aligned box in SVG px. */
export interface TimelineBox { x: number; y: number; width: number; height: number }

/** One text label: where it sits, and the box it is estimated to cover. */
export interface TimelineLabel {
  text: string;
  /** `x` is where the text starts, `y` its baseline. */
  x: number;
  y: number;
  fontSize: number;
  bold: boolean;
  placement: 'inside' | 'right' | 'left';
  box: TimelineBox;
}

/** One call's bar. */
export interface TimelineBar extends TimelineBox {
  index: number;
  id: string;
  name: string;
  lane: number;
  /** Start and end in ms since the batch started. */
  start: number;
  end: number;
  outcome: TimelineOutcome;
  /** The hover text: id, name, outcome, times and any failure message. */
  tooltip: string;
  labels: TimelineLabel[];
}

/** Everything `renderTimeline` draws, in SVG px. */
export interface TimelineLayout {
  width: number;
  height: number;
  title: string;
  subtitle: string;
  lanes: number;
  /** The time axis spans `0 … domainEnd` ms; `end` is when the batch (or the last event) ended. */
  end: number;
  domainEnd: number;
  plot: TimelineBox;
  ticks: Array<{ ms: number; x: number }>;
  bars: TimelineBar[];
  /**
   * The call list under the axis, one entry per call in index order, so that
   * calls too short to label at this scale are still named.
   */
  list: Array<{ index: number; outcome: TimelineOutcome; text: string; x: number; y: number }>;
}

/** Fill, text colour and legend text per outcome. Chosen for contrast of the text on its bar. */
export const timelineColors: Record<TimelineOutcome, { fill: string; text: string; legend: string }> = {
  succeeded: { fill: '#2f855a', text: '#ffffff', legend: 'succeeded' },
  failed: { fill: '#c53030', text: '#ffffff', legend: 'failed' },
  timedOut: { fill: '#f6ad55', text: '#1a202c', legend: 'timed out' },
  aborted: { fill: '#cbd5e0', text: '#1a202c', legend: 'aborted' },
  running: { fill: '#90cdf4', text: '#1a202c', legend: 'still running' },
};

const font = "'DejaVu Sans', Verdana, 'Segoe UI', Helvetica, Arial, sans-serif";
const margin = { left: 76, right: 24 };
const header = 84; // title, subtitle and legend
const rowHeight = 48;
const barHeight = 36;
const pad = 6;
const gap = 4;

/** 1, 2 or 5 × 10^k: the smallest step that keeps ticks at least `minPx` apart. */
function tickStep(end: number, plotWidth: number, minPx = 70): number {
  const maxTicks = Math.max(1, Math.floor(plotWidth / minPx));
  for (let power = 1; ; power *= 10) {
    for (const unit of [1, 2, 5]) if (end / (unit * power) <= maxTicks) return unit * power;
  }
}

/**
 * Places a bar's labels: name and ms inside when they fit; else one line
 * (`name · ms`) just right or left of the bar where nothing else is; else the
 * name truncated inside; else none (the tooltip still has it).
 */
function placeLabels(bar: TimelineBar, bars: TimelineBar[], placed: TimelineBox[], limit: { left: number; right: number }): TimelineLabel[] {
  const ms = `${Math.round(bar.end - bar.start)} ms`;
  // Say the outcome in words too where there is room, not only by colour.
  const details = bar.outcome === 'succeeded' ? [ms] : [`${ms} · ${timelineColors[bar.outcome].legend}`, ms];
  const room = bar.width - 2 * pad;
  const nameWidth = estimateTextWidth(bar.name, 12, true);
  for (const detail of details) {
    if (Math.max(nameWidth, estimateTextWidth(detail, 11)) <= room) {
      return [label(bar.name, bar.x + pad, bar.y + 15, 12, true, 'inside'), label(detail, bar.x + pad, bar.y + 29, 11, false, 'inside')];
    }
  }
  const baseline = bar.y + barHeight / 2 + 4;
  for (const detail of details) {
    const line = `${bar.name} · ${detail}`;
    const lineWidth = estimateTextWidth(line, 11);
    for (const [placement, x] of [
      ['right', bar.x + bar.width + gap],
      ['left', bar.x - gap - lineWidth],
    ] as const) {
      const candidate = label(line, x, baseline, 11, false, placement);
      const clear =
        x >= limit.left &&
        x + lineWidth <= limit.right &&
        !bars.some((other) => other !== bar && overlaps(candidate.box, other)) &&
        !placed.some((box) => overlaps(candidate.box, box));
      if (clear) return [candidate];
    }
  }
  const name = truncate(bar.name, room, 12, true);
  if (name === '') return [];
  const labels = [label(name, bar.x + pad, bar.y + 15, 12, true, 'inside')];
  if (estimateTextWidth(ms, 11) <= room) labels.push(label(ms, bar.x + pad, bar.y + 29, 11, false, 'inside'));
  return labels;
}

/**
 * Computes the geometry of a batch's timeline: lanes, bars, labels and ticks.
 *
 * @param events - the batch's emitted events (`call.started` with `lane`, `call.settled`, `batch.settled`), in order.
 *   Times are drawn from the earliest `at`, when the batch admitted its first calls.
 * @param options - `title`, `width`.
 * @returns every box and label `renderTimeline` draws.
 * @example
 * ```ts
 * const layout = layoutTimeline(events);
 * layout.bars.map((bar) => `${bar.id} lane ${bar.lane}: ${bar.outcome}`);
 * ```
 */
export function layoutTimeline(events: readonly ToolBatchEmitted[], options: TimelineOptions = {}): TimelineLayout {
  const width = options.width ?? 960;
  const title = options.title ?? 'Tool batch timeline';
  const starts = new Map<number, Extract<ToolBatchEmitted, { type: 'call.started' }>>();
  const settles = new Map<number, Extract<ToolBatchEmitted, { type: 'call.settled' }>>();
  let batch: Extract<ToolBatchEmitted, { type: 'batch.settled' }> | undefined;
  // The first call starts when the batch does; an agent's events are stamped from the agent's start.
  const origin = events.length > 0 ? Math.min(...events.map((event) => event.at)) : 0;
  let last = 0;
  for (const original of events) {
    const event = { ...original, at: original.at - origin };
    last = Math.max(last, event.at);
    if (event.type === 'call.started') starts.set(event.index, event);
    else if (event.type === 'call.settled') settles.set(event.index, event);
    else if (event.type === 'batch.settled') batch = event;
  }
  const end = batch?.at ?? last;
  const lanes = Math.max(1, ...[...starts.values()].map((event) => event.lane + 1));
  const plot = { x: margin.left, y: header, width: width - margin.left - margin.right, height: lanes * rowHeight };
  const step = tickStep(Math.max(end, 1), plot.width);
  const domainEnd = Math.max(step, Math.ceil(end / step) * step);
  const xOf = (ms: number): number => Math.round((plot.x + (ms / domainEnd) * plot.width) * 10) / 10;
  const ticks = [];
  for (let ms = 0; ms <= domainEnd; ms += step) ticks.push({ ms, x: xOf(ms) });

  const bars: TimelineBar[] = [...starts.values()]
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map((started) => {
      const settled = settles.get(started.index);
      const outcome = settled ? callOutcome(settled) : 'running';
      const stop = settled?.at ?? end;
      const x = xOf(started.at);
      const failure = settled?.failure ? `: ${settled.failure.message}` : '';
      return {
        index: started.index,
        id: started.id,
        name: started.name,
        lane: started.lane,
        start: started.at,
        end: stop,
        outcome,
        tooltip: `${started.id} · ${started.name} · ${timelineColors[outcome].legend} · ${started.at}–${stop} ms${failure}`,
        x,
        y: plot.y + started.lane * rowHeight + (rowHeight - barHeight) / 2,
        width: Math.max(1, Math.round((xOf(stop) - x) * 10) / 10),
        height: barHeight,
        labels: [],
      };
    });
  const placed: TimelineBox[] = [];
  for (const bar of bars) {
    bar.labels = placeLabels(bar, bars, placed, { left: plot.x, right: width - 4 });
    for (const text of bar.labels) if (text.placement !== 'inside') placed.push(text.box);
  }
  const status = batch ? `batch ${batch.status}` : 'batch still running';
  const subtitle = `${starts.size} ${starts.size === 1 ? 'call' : 'calls'} started · ${lanes} ${lanes === 1 ? 'lane' : 'lanes'} · ${Math.round(end)} ms · ${status}`;
  const listTop = plot.y + plot.height + 70;
  const columns = bars.length > 5 ? 2 : 1;
  const perColumn = Math.ceil(bars.length / columns);
  const columnWidth = (width - 32) / columns;
  const list = [...bars]
    .sort((a, b) => a.index - b.index)
    .map((bar, i) => {
      const times = `${Math.round(bar.start)}–${Math.round(bar.end)} ms`;
      const text = `${bar.id} · ${bar.name} · lane ${bar.lane} · ${times} · ${timelineColors[bar.outcome].legend}`;
      const x = 16 + Math.floor(i / perColumn) * columnWidth;
      return { index: bar.index, outcome: bar.outcome, text: truncate(text, columnWidth - 28, 11, false), x, y: listTop + (i % perColumn) * 18 };
    });
  const height = listTop + perColumn * 18 + 4;
  return { width, height, title, subtitle, lanes, end, domainEnd, plot, ticks, bars, list };
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/**
 * Renders a batch's events as a standalone SVG Gantt chart.
 *
 * @param events - the batch's emitted events, as `runToolBatch`'s `onEvent` receives them.
 * @param options - `title` (default `'Tool batch timeline'`), `width` (default `960`).
 * @returns the SVG document, the same for the same events.
 * @example
 * ```ts
 * const events: ToolBatchEmitted[] = [];
 * await runToolBatch(calls, { tools, concurrency: 4, onEvent: (event) => events.push(event) });
 * writeFileSync('out/timeline.svg', renderTimeline(events));
 * ```
 */
export function renderTimeline(events: readonly ToolBatchEmitted[], options: TimelineOptions = {}): string {
  const layout = layoutTimeline(events, options);
  const { width, height, plot } = layout;
  const bottom = plot.y + plot.height;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(font)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="28" font-size="16" font-weight="bold" fill="#1a202c">${escapeXml(layout.title)}</text>`,
    `<text x="16" y="48" font-size="12" fill="#4a5568">${escapeXml(layout.subtitle)}</text>`,
  ];
  const present = new Set(layout.bars.map((bar) => bar.outcome));
  let legendX = 16;
  for (const outcome of ['succeeded', 'failed', 'timedOut', 'aborted', 'running'] as const) {
    if (outcome === 'running' && !present.has(outcome)) continue;
    const text = timelineColors[outcome].legend;
    out.push(
      `<rect x="${legendX}" y="60" width="12" height="12" rx="2" fill="${timelineColors[outcome].fill}"/>`,
      `<text x="${legendX + 17}" y="70.5" font-size="11" fill="#2d3748">${text}</text>`,
    );
    legendX += 17 + estimateTextWidth(text, 11) + 18;
  }
  for (let lane = 0; lane < layout.lanes; lane++) {
    const y = plot.y + lane * rowHeight;
    if (lane % 2 === 0) out.push(`<rect x="${plot.x}" y="${y}" width="${plot.width}" height="${rowHeight}" fill="#f7fafc"/>`);
    out.push(`<text x="${plot.x - 10}" y="${y + rowHeight / 2 + 4}" font-size="12" text-anchor="end" fill="#4a5568">lane ${lane}</text>`);
  }
  for (const tick of layout.ticks) {
    out.push(
      `<line x1="${tick.x}" y1="${plot.y}" x2="${tick.x}" y2="${bottom + 4}" stroke="#e2e8f0"/>`,
      `<text x="${tick.x}" y="${bottom + 18}" font-size="11" text-anchor="middle" fill="#4a5568">${tick.ms}</text>`,
    );
  }
  out.push(
    `<line x1="${plot.x}" y1="${bottom}" x2="${plot.x + plot.width}" y2="${bottom}" stroke="#a0aec0"/>`,
    `<text x="${plot.x + plot.width / 2}" y="${bottom + 38}" font-size="11" text-anchor="middle" fill="#4a5568">ms since the batch started</text>`,
  );
  const endX = n(plot.x + (layout.end / layout.domainEnd) * plot.width);
  out.push(`<line x1="${endX}" y1="${plot.y}" x2="${endX}" y2="${bottom}" stroke="#4a5568" stroke-dasharray="4 3"/>`);
  for (const bar of layout.bars) {
    const colors = timelineColors[bar.outcome];
    // A white edge keeps back-to-back bars of one lane apart.
    const stroke = bar.outcome === 'aborted' ? ' stroke="#718096" stroke-dasharray="3 2"' : ' stroke="#ffffff"';
    out.push(
      `<g><title>${escapeXml(bar.tooltip)}</title>`,
      `<rect x="${n(bar.x)}" y="${n(bar.y)}" width="${n(bar.width)}" height="${bar.height}" rx="3" fill="${colors.fill}"${stroke}/>`,
    );
    for (const text of bar.labels) {
      const fill = text.placement === 'inside' ? colors.text : '#1a202c';
      const weight = text.bold ? ' font-weight="bold"' : '';
      out.push(`<text x="${n(text.x)}" y="${n(text.y)}" font-size="${text.fontSize}"${weight} fill="${fill}">${escapeXml(text.text)}</text>`);
    }
    out.push('</g>');
  }
  for (const item of layout.list) {
    out.push(
      `<rect x="${n(item.x)}" y="${item.y - 9}" width="10" height="10" rx="2" fill="${timelineColors[item.outcome].fill}"/>`,
      `<text x="${n(item.x + 16)}" y="${item.y}" font-size="11" fill="#2d3748">${escapeXml(item.text)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
