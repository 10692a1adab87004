/**
 * Text on the timeline: how wide a label is, how to shorten it to fit, the
 * box it covers, and where a bar's labels go so that none overlaps another
 * label or another bar.
 */
import type { TimelineBox, TimelineLabel } from './timeline-layout.js';

/**
 * Estimates the width of a text in px, on the wide side (DejaVu Sans metrics),
 * so that a label that fits here fits in narrower fonts too.
 *
 * @param text - the text.
 * @param fontSize - its font size in px.
 * @param bold - whether it is drawn bold (about 10% wider).
 * @returns the estimated width in px.
 * @example
 * ```ts
 * estimateTextWidth('search', 12); // 42.12
 * ```
 */
export function estimateTextWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const char of text) {
    if ("ijl.,:;|!'".includes(char)) em += 0.28;
    else if (' ·-'.includes(char)) em += 0.34;
    else if ('frt'.includes(char)) em += 0.41;
    else if ('mw'.includes(char)) em += 0.98;
    else if ('MW…'.includes(char)) em += 1;
    else if (/[A-Z]/.test(char)) em += 0.74;
    else if (/[0-9]/.test(char)) em += 0.64;
    else em += 0.62;
  }
  return Math.round(em * fontSize * (bold ? 1.1 : 1) * 100) / 100;
}

/** Whether two boxes share any area. */
export function overlaps(a: TimelineBox, b: TimelineBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The longest prefix of `text` that, with an ellipsis, fits in `width`; `''` when not even one character does. */
export function truncate(text: string, width: number, fontSize: number, bold: boolean): string {
  if (estimateTextWidth(text, fontSize, bold) <= width) return text;
  const fits = (n: number): boolean => estimateTextWidth(`${text.slice(0, n)}…`, fontSize, bold) <= width;
  if (text.length < 2 || !fits(1)) return '';
  // A binary search, as a longer prefix is never narrower: trying every length from the end
  // measured a 10,000-character tool name 10,000 times, and a timeline took about a minute.
  let low = 1;
  let high = text.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, low)}…`;
}

/** A label with its text box, from cap height to the descenders. */
export function label(text: string, x: number, y: number, fontSize: number, bold: boolean, placement: TimelineLabel['placement']): TimelineLabel {
  const width = estimateTextWidth(text, fontSize, bold);
  // From cap height (about 0.8 em above the baseline) to the descenders (0.25 em below).
  return { text, x, y, fontSize, bold, placement, box: { x, y: y - fontSize * 0.8, width, height: fontSize * 1.05 } };
}

/** A bar to label: its box, its name, the second lines to try in order, and the shortest one. */
export interface LabelTarget extends TimelineBox {
  name: string;
  details: readonly string[];
  /** The second line when only a truncated name fits inside, such as `12 ms`. */
  short: string;
}

/**
 * Places a bar's labels: name and detail inside when they fit; else one line
 * (`name · detail`) just right or left of the bar where nothing else is; else
 * the name truncated inside; else none (the tooltip still has it).
 *
 * @param target - the bar and its texts.
 * @param obstacles - every other bar.
 * @param placed - the boxes of labels already placed outside their bars.
 * @param limit - the x range a label outside its bar must stay in.
 * @returns the labels, none to three.
 * @example
 * ```ts
 * placeLabels({ x: 80, y: 90, width: 200, height: 36, name: 'search', details: ['120 ms'], short: '120 ms' }, [], [], { left: 76, right: 956 });
 * ```
 */
export function placeLabels(target: LabelTarget, obstacles: readonly TimelineBox[], placed: readonly TimelineBox[], limit: { left: number; right: number }): TimelineLabel[] {
  const pad = 6;
  const gap = 4;
  const room = target.width - 2 * pad;
  const nameWidth = estimateTextWidth(target.name, 12, true);
  for (const detail of target.details) {
    if (Math.max(nameWidth, estimateTextWidth(detail, 11)) <= room) {
      return [label(target.name, target.x + pad, target.y + 15, 12, true, 'inside'), label(detail, target.x + pad, target.y + 29, 11, false, 'inside')];
    }
  }
  const baseline = target.y + target.height / 2 + 4;
  for (const detail of target.details) {
    const line = `${target.name} · ${detail}`;
    const lineWidth = estimateTextWidth(line, 11);
    for (const [placement, x] of [
      ['right', target.x + target.width + gap],
      ['left', target.x - gap - lineWidth],
    ] as const) {
      const candidate = label(line, x, baseline, 11, false, placement);
      const clear =
        x >= limit.left &&
        x + lineWidth <= limit.right &&
        !obstacles.some((other) => overlaps(candidate.box, other)) &&
        !placed.some((box) => overlaps(candidate.box, box));
      if (clear) return [candidate];
    }
  }
  const name = truncate(target.name, room, 12, true);
  if (name === '') return [];
  const labels = [label(name, target.x + pad, target.y + 15, 12, true, 'inside')];
  if (estimateTextWidth(target.short, 11) <= room) labels.push(label(target.short, target.x + pad, target.y + 29, 11, false, 'inside'));
  return labels;
}
