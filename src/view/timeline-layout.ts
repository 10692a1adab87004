/**
 * The geometry of a batch timeline: one row per lane (the concurrency slot a
 * call ran in) with one bar per run of a call (a retried call has one per
 * attempt), then, when some call held no lane for a while, rows of waits:
 * for an approval, or backing off before a retry. Labels are placed so that
 * none covers another label or another bar.
 *
 * Layout is separate from drawing (`renderTimeline`) so that tests can check
 * geometry without parsing SVG. Output depends only on the events: no clock,
 * no randomness.
 */
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { callHistories, type CallHistory, type CallWait, type RunOutcome } from './timeline-calls.js';
import { estimateTextWidth, placeLabels, truncate } from './timeline-text.js';
import { callOutcome } from './call-outcome.js';

/** How a bar is coloured: the call's outcome, `retried` for an attempt that failed and ran again, or `running` when the events end first. */
export type TimelineOutcome = RunOutcome;

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

/** One run of a call: a bar in the lane it ran in. */
export interface TimelineBar extends TimelineBox {
  index: number;
  id: string;
  name: string;
  lane: number;
  /** Which attempt this run is, from 1. */
  attempt: number;
  /** Start and end in ms since the batch started. */
  start: number;
  end: number;
  outcome: TimelineOutcome;
  /** The hover text: id, name, attempt (of a retried call), outcome, times, partial results and any failure message. */
  tooltip: string;
  labels: TimelineLabel[];
  /** A mark on the bar per partial result its tool yielded (`call.partial`): its time in ms and its x in px. */
  partials: Array<{ at: number; x: number }>;
}

/** A time a call held no lane, drawn in the rows under the lanes. */
export interface TimelineWait extends TimelineBox {
  index: number;
  id: string;
  name: string;
  kind: CallWait['kind'];
  /** The row under the lanes, from 0: waits that overlap in time get rows of their own. */
  row: number;
  start: number;
  end: number;
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
  /** How many rows of waits are under the lanes (0 when no call waited). */
  waitRows: number;
  /** The time axis spans `0 … domainEnd` ms; `end` is when the batch (or the last event) ended. */
  end: number;
  domainEnd: number;
  plot: TimelineBox;
  ticks: Array<{ ms: number; x: number }>;
  bars: TimelineBar[];
  waits: TimelineWait[];
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
  cancelled: { fill: '#e2e8f0', text: '#1a202c', legend: 'cancelled' },
  retried: { fill: '#feb2b2', text: '#1a202c', legend: 'failed, retried' },
  running: { fill: '#90cdf4', text: '#1a202c', legend: 'still running' },
};

/** How waits are drawn: the approval's fill is a hatch pattern of these colours, a backoff is an outline. */
export const timelineWaitStyles: Record<CallWait['kind'], { fill: string; stripe: string; stroke: string; legend: string }> = {
  approval: { fill: '#fefcbf', stripe: '#ecc94b', stroke: '#b7791f', legend: 'waiting for approval' },
  backoff: { fill: '#fff5f5', stripe: '#fff5f5', stroke: '#e53e3e', legend: 'backing off' },
};

const margin = { left: 76, right: 24 };
const header = 84; // title, subtitle and legend
/** A row's height, lanes and waits alike. */
export const timelineRowHeight = 48;
const barHeight = 36;

/** 1, 2 or 5 × 10^k: the smallest step that keeps ticks at least `minPx` apart. */
function tickStep(end: number, plotWidth: number, minPx = 70): number {
  const maxTicks = Math.max(1, Math.floor(plotWidth / minPx));
  for (let power = 1; ; power *= 10) {
    for (const unit of [1, 2, 5]) if (end / (unit * power) <= maxTicks) return unit * power;
  }
}

/** Gives each wait the first row free at its start. */
function waitRows(histories: readonly CallHistory[]): { placed: Array<{ history: CallHistory; wait: CallWait; row: number }>; rows: number } {
  const all = histories.flatMap((history) => history.waits.map((wait) => ({ history, wait })));
  all.sort((a, b) => a.wait.start - b.wait.start || a.history.index - b.history.index);
  const rowEnds: number[] = [];
  const placed = all.map(({ history, wait }) => {
    let row = rowEnds.findIndex((rowEnd) => rowEnd <= wait.start);
    if (row === -1) row = rowEnds.length;
    rowEnds[row] = wait.end;
    return { history, wait, row };
  });
  return { placed, rows: rowEnds.length };
}

/** The list entry of a call: where it ran, when, how it ended, and its attempts and approval wait. */
function listText(history: CallHistory, outcome: TimelineOutcome): string {
  const lanes = [...new Set(history.runs.map((run) => run.lane))];
  const where = lanes.length === 0 ? 'no lane' : `${lanes.length === 1 ? 'lane' : 'lanes'} ${lanes.join(', ')}`;
  const spans = [...history.runs, ...history.waits];
  // A call cancelled while it was queued never ran nor waited: it has no times.
  const times = spans.length === 0 ? 'never started' : `${Math.round(Math.min(...spans.map((span) => span.start)))}–${Math.round(Math.max(...spans.map((span) => span.end)))} ms`;
  const said = history.settled?.failure?.kind === 'denied' ? 'denied' : timelineColors[outcome].legend;
  const parts = [history.id, history.name, where, times, said];
  if (history.runs.length > 1) parts.push(`${history.runs.length} attempts`);
  const waited = history.waits.filter((wait) => wait.kind === 'approval').reduce((sum, wait) => sum + wait.end - wait.start, 0);
  if (history.waits.some((wait) => wait.kind === 'approval')) parts.push(`waited ${Math.round(waited)} ms for approval`);
  return parts.join(' · ');
}

/**
 * Computes the geometry of a batch's timeline: lanes, bars, waits, labels and ticks.
 *
 * @param events - the batch's emitted events (`call.started` with `lane`, `call.approvalRequested`,
 *   `call.retrying`, `call.settled`, `batch.settled`), in order. Times are drawn from the earliest `at`,
 *   when the batch admitted its first calls.
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
  // The first call starts when the batch does; an agent's events are stamped from the agent's start.
  const origin = events.length > 0 ? Math.min(...events.map((event) => event.at)) : 0;
  const shifted = events.map((event) => ({ ...event, at: event.at - origin }));
  const last = Math.max(0, ...shifted.map((event) => event.at));
  const batch = shifted.findLast((event) => event.type === 'batch.settled');
  const end = batch?.at ?? last;
  const started = shifted.filter((event) => event.type === 'call.started');
  const calls = new Set(started.map((event) => event.index)).size;
  const lanes = Math.max(1, ...started.map((event) => event.lane + 1));
  const histories = [...callHistories(shifted, end).values()].filter((history) => history.runs.length + history.waits.length > 0);
  const waits = waitRows(histories);
  const plot = { x: margin.left, y: header, width: width - margin.left - margin.right, height: (lanes + waits.rows) * timelineRowHeight };
  const step = tickStep(Math.max(end, 1), plot.width);
  const domainEnd = Math.max(step, Math.ceil(end / step) * step);
  const xOf = (ms: number): number => Math.round((plot.x + (ms / domainEnd) * plot.width) * 10) / 10;
  const ticks = [];
  for (let ms = 0; ms <= domainEnd; ms += step) ticks.push({ ms, x: xOf(ms) });
  const box = (start: number, stop: number, row: number): TimelineBox => {
    const x = xOf(start);
    return { x, y: plot.y + row * timelineRowHeight + (timelineRowHeight - barHeight) / 2, width: Math.max(1, Math.round((xOf(stop) - x) * 10) / 10), height: barHeight };
  };

  const retried = new Set(histories.filter((history) => history.runs.length > 1 || history.runs.some((run) => run.attempt > 1)).map((history) => history.index));
  const bars: TimelineBar[] = histories
    .flatMap((history) => history.runs.map((run) => ({ history, run })))
    .sort((a, b) => a.run.start - b.run.start || a.history.index - b.history.index || a.run.attempt - b.run.attempt)
    .map(({ history, run }) => {
      const attempt = retried.has(history.index) ? ` · attempt ${run.attempt}` : '';
      const failure = run.failure ? `: ${run.failure.message}` : '';
      const partials = run.partials ?? [];
      const yielded = partials.length === 0 ? '' : ` · ${partials.length} partial ${partials.length === 1 ? 'result' : 'results'}`;
      return {
        index: history.index,
        id: history.id,
        name: history.name,
        lane: run.lane,
        attempt: run.attempt,
        start: run.start,
        end: run.end,
        outcome: run.outcome,
        tooltip: `${history.id} · ${history.name}${attempt} · ${timelineColors[run.outcome].legend} · ${run.start}–${run.end} ms${yielded}${failure}`,
        ...box(run.start, run.end, run.lane),
        labels: [],
        partials: partials.map((at) => ({ at, x: xOf(at) })),
      };
    });
  const laid: TimelineWait[] = waits.placed.map(({ history, wait, row }) => ({
    index: history.index,
    id: history.id,
    name: history.name,
    kind: wait.kind,
    row,
    start: wait.start,
    end: wait.end,
    tooltip: `${history.id} · ${history.name} · ${timelineWaitStyles[wait.kind].legend} · ${wait.start}–${wait.end} ms`,
    ...box(wait.start, wait.end, lanes + row),
    labels: [],
  }));
  const boxes: TimelineBox[] = [...bars, ...laid];
  const placed: TimelineBox[] = [];
  const limit = { left: plot.x, right: width - 4 };
  for (const bar of bars) {
    const ms = `${Math.round(bar.end - bar.start)} ms`;
    const legend = timelineColors[bar.outcome].legend;
    const attempt = retried.has(bar.index) ? `attempt ${bar.attempt}` : undefined;
    // Say the outcome in words too where there is room, not only by colour.
    const said = bar.outcome === 'succeeded' ? [] : [legend];
    const details = attempt === undefined ? [[ms, ...said].join(' · '), ms] : [[ms, attempt, ...said].join(' · '), `${ms} · ${attempt}`, ms];
    bar.labels = placeLabels({ ...bar, details: [...new Set(details)], short: ms }, boxes.filter((other) => other !== bar), placed, limit);
    for (const text of bar.labels) if (text.placement !== 'inside') placed.push(text.box);
  }
  for (const wait of laid) {
    const ms = `${Math.round(wait.end - wait.start)} ms`;
    wait.labels = placeLabels({ ...wait, details: [`${ms} · ${timelineWaitStyles[wait.kind].legend}`, ms], short: ms }, boxes.filter((other) => other !== wait), placed, limit);
    for (const text of wait.labels) if (text.placement !== 'inside') placed.push(text.box);
  }

  const status = batch ? `batch ${batch.status}` : 'batch still running';
  const subtitle = `${calls} ${calls === 1 ? 'call' : 'calls'} started · ${lanes} ${lanes === 1 ? 'lane' : 'lanes'} · ${Math.round(end)} ms · ${status}`;
  const listTop = plot.y + plot.height + 70;
  const entries = [...histories]
    .sort((a, b) => a.index - b.index)
    .map((history) => {
      const outcome: TimelineOutcome = history.settled ? callOutcome(history.settled) : 'running';
      return { index: history.index, outcome, text: listText(history, outcome) };
    });
  // Two columns for a long list, unless an entry would not fit in one.
  const half = (width - 32) / 2 - 28;
  const columns = entries.length > 5 && entries.every((entry) => estimateTextWidth(entry.text, 11) <= half) ? 2 : 1;
  const perColumn = Math.ceil(entries.length / columns);
  const columnWidth = (width - 32) / columns;
  const list = entries.map((entry, i) => {
    const x = 16 + Math.floor(i / perColumn) * columnWidth;
    return { ...entry, text: truncate(entry.text, columnWidth - 28, 11, false), x, y: listTop + (i % perColumn) * 18 };
  });
  const height = listTop + perColumn * 18 + 4;
  return { width, height, title, subtitle, lanes, waitRows: waits.rows, end, domainEnd, plot, ticks, bars, waits: laid, list };
}
