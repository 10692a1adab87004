/**
 * A batch timeline as a standalone SVG Gantt chart: one row per lane (the
 * concurrency slot a call ran in), one bar per run of a call coloured by
 * outcome (each attempt of a retried call is a bar of its own), the time a
 * call waited for an approval or backed off before a retry in rows of its own
 * under the lanes (such a call holds no lane meanwhile), a mark on a bar for
 * each partial result its tool yielded, a time axis in ms, a legend, a title,
 * and a list of every call.
 *
 * The geometry comes from `layoutTimeline` (timeline-layout.ts); this file
 * only draws it. Output depends only on the events: no clock, no randomness.
 */
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { estimateTextWidth } from './timeline-text.js';
import { layoutTimeline, timelineColors, timelineRowHeight, timelineWaitStyles, type TimelineOptions } from './timeline-layout.js';

export { estimateTextWidth } from './timeline-text.js';
export { layoutTimeline, timelineColors, timelineWaitStyles } from './timeline-layout.js';
export type { TimelineBar, TimelineBox, TimelineLabel, TimelineLayout, TimelineOptions, TimelineOutcome, TimelineWait } from './timeline-layout.js';

const font = "'DejaVu Sans', Verdana, 'Segoe UI', Helvetica, Arial, sans-serif";

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** The hatch an approval wait is filled with. */
const approvalHatch = (() => {
  const style = timelineWaitStyles.approval;
  return `<defs><pattern id="approval-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="${style.fill}"/><line x1="0" y1="0" x2="0" y2="8" stroke="${style.stripe}" stroke-width="3"/></pattern></defs>`;
})();

/** The fill and edge of a wait's box, for its bar and its legend swatch. */
function waitPaint(kind: keyof typeof timelineWaitStyles): string {
  const style = timelineWaitStyles[kind];
  return kind === 'approval' ? `fill="url(#approval-hatch)" stroke="${style.stroke}"` : `fill="${style.fill}" stroke="${style.stroke}" stroke-dasharray="4 3"`;
}

/** A partial result's mark: a small diamond centred at `x`, `y`. */
function partialMark(x: number, y: number, fill: string, stroke: string): string {
  return `<path d="M${n(x)} ${n(y - 4)} L${n(x + 4)} ${n(y)} L${n(x)} ${n(y + 4)} L${n(x - 4)} ${n(y)} Z" fill="${fill}" stroke="${stroke}" stroke-width="1"/>`;
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
  ];
  const kinds = new Set(layout.waits.map((wait) => wait.kind));
  if (kinds.has('approval')) out.push(approvalHatch);
  out.push(
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="28" font-size="16" font-weight="bold" fill="#1a202c">${escapeXml(layout.title)}</text>`,
    `<text x="16" y="48" font-size="12" fill="#4a5568">${escapeXml(layout.subtitle)}</text>`,
  );
  const present = new Set(layout.bars.map((bar) => bar.outcome));
  let legendX = 16;
  const legend = (swatch: string, text: string): void => {
    out.push(`<rect x="${legendX}" y="60" width="12" height="12" rx="2" ${swatch}/>`, `<text x="${legendX + 17}" y="70.5" font-size="11" fill="#2d3748">${text}</text>`);
    legendX += 17 + estimateTextWidth(text, 11) + 18;
  };
  for (const outcome of ['succeeded', 'failed', 'timedOut', 'aborted', 'cancelled', 'retried', 'running'] as const) {
    if ((outcome === 'running' || outcome === 'retried' || outcome === 'cancelled') && !present.has(outcome)) continue;
    legend(`fill="${timelineColors[outcome].fill}"`, timelineColors[outcome].legend);
  }
  for (const kind of ['approval', 'backoff'] as const) if (kinds.has(kind)) legend(waitPaint(kind), timelineWaitStyles[kind].legend);
  if (layout.bars.some((bar) => bar.partials.length > 0)) {
    out.push(partialMark(legendX + 6, 66, '#2d3748', '#ffffff'), `<text x="${legendX + 17}" y="70.5" font-size="11" fill="#2d3748">partial result</text>`);
    legendX += 17 + estimateTextWidth('partial result', 11) + 18;
  }
  for (let lane = 0; lane < layout.lanes; lane++) {
    const y = plot.y + lane * timelineRowHeight;
    if (lane % 2 === 0) out.push(`<rect x="${plot.x}" y="${y}" width="${plot.width}" height="${timelineRowHeight}" fill="#f7fafc"/>`);
    out.push(`<text x="${plot.x - 10}" y="${y + timelineRowHeight / 2 + 4}" font-size="12" text-anchor="end" fill="#4a5568">lane ${lane}</text>`);
  }
  for (let row = 0; row < layout.waitRows; row++) {
    const y = plot.y + (layout.lanes + row) * timelineRowHeight;
    out.push(
      `<rect x="${plot.x}" y="${y}" width="${plot.width}" height="${timelineRowHeight}" fill="#fffff0"/>`,
      `<text x="${plot.x - 10}" y="${y + timelineRowHeight / 2 + 4}" font-size="12" text-anchor="end" fill="#4a5568">no lane</text>`,
    );
  }
  if (layout.waitRows > 0) {
    const y = plot.y + layout.lanes * timelineRowHeight;
    out.push(`<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.width}" y2="${y}" stroke="#a0aec0" stroke-dasharray="2 2"/>`);
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
  const labels = (texts: typeof layout.bars[number]['labels'], insideColor: string): void => {
    for (const text of texts) {
      const fill = text.placement === 'inside' ? insideColor : '#1a202c';
      const weight = text.bold ? ' font-weight="bold"' : '';
      out.push(`<text x="${n(text.x)}" y="${n(text.y)}" font-size="${text.fontSize}"${weight} fill="${fill}">${escapeXml(text.text)}</text>`);
    }
  };
  for (const bar of layout.bars) {
    const colors = timelineColors[bar.outcome];
    // A white edge keeps back-to-back bars of one lane apart.
    const stroke = bar.outcome === 'aborted' || bar.outcome === 'cancelled' ? ' stroke="#718096" stroke-dasharray="3 2"' : ' stroke="#ffffff"';
    out.push(
      `<g><title>${escapeXml(bar.tooltip)}</title>`,
      `<rect x="${n(bar.x)}" y="${n(bar.y)}" width="${n(bar.width)}" height="${bar.height}" rx="3" fill="${colors.fill}"${stroke}/>`,
    );
    labels(bar.labels, colors.text);
    // Each partial result, on the bar's lower edge so that it never covers the label inside.
    for (const mark of bar.partials) out.push(partialMark(mark.x, bar.y + bar.height - 5, colors.text, colors.fill));
    out.push('</g>');
  }
  for (const wait of layout.waits) {
    out.push(
      `<g><title>${escapeXml(wait.tooltip)}</title>`,
      `<rect x="${n(wait.x)}" y="${n(wait.y)}" width="${n(wait.width)}" height="${wait.height}" rx="3" ${waitPaint(wait.kind)}/>`,
    );
    labels(wait.labels, '#1a202c');
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
