/**
 * Text on the timeline: how wide a label is, how to shorten it to fit, and
 * the box it covers, so that labels can be placed without overlaps.
 */
import type { TimelineBox, TimelineLabel } from './timeline.js';

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
  for (let n = text.length - 1; n >= 1; n--) {
    const candidate = `${text.slice(0, n)}…`;
    if (estimateTextWidth(candidate, fontSize, bold) <= width) return candidate;
  }
  return '';
}

/** A label with its text box, from cap height to the descenders. */
export function label(text: string, x: number, y: number, fontSize: number, bold: boolean, placement: TimelineLabel['placement']): TimelineLabel {
  const width = estimateTextWidth(text, fontSize, bold);
  // From cap height (about 0.8 em above the baseline) to the descenders (0.25 em below).
  return { text, x, y, fontSize, bold, placement, box: { x, y: y - fontSize * 0.8, width, height: fontSize * 1.05 } };
}
