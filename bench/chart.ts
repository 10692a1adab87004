/**
 * bench/overhead.svg: µs per call against K, log-log, one line per system,
 * one panel for N=16 and one for N=∞.
 */
import { systems } from './catalog.js';
import { fmtUs, type Results } from './report.js';

const width = 1000;
const height = 680;
const panel = { top: 100, height: 380, width: 390, gap: 110, left: 80 };

/** A decade as people write it: 0.01, 0.1, 1, 10, 1,000. */
const tick = (value: number): string => (value < 1 ? String(Number(value.toPrecision(1))) : value.toLocaleString('en-US'));

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChart(results: Results): string {
  const all = results.overhead.flatMap((o) => o.points.map((p) => p.median)).filter((v) => v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const kMin = results.ks[0]!;
  const kMax = results.ks.at(-1)!;
  const parts: string[] = [];

  parts.push(
    `<text x="${width / 2}" y="28" text-anchor="middle" font-size="20" font-weight="bold">Orchestration overhead per call, no-op tools (lower is better)</text>`,
    `<text x="${width / 2}" y="54" text-anchor="middle" font-size="13" fill="#555">µs per call against the number of calls K, log-log; median of ${results.runs}+ runs, one process per system${results.quick ? ' (quick run)' : ''}</text>`,
  );

  [16, null].forEach((concurrency, index) => {
    const x0 = panel.left + index * (panel.width + panel.gap);
    const y0 = panel.top;
    const x = (k: number): number => x0 + (Math.log10(k / kMin) / Math.log10(kMax / kMin)) * panel.width;
    const y = (us: number): number => y0 + panel.height - (Math.log10(us / yMin) / Math.log10(yMax / yMin)) * panel.height;
    parts.push(`<rect x="${x0}" y="${y0}" width="${panel.width}" height="${panel.height}" fill="#fff" stroke="#999"/>`);
    parts.push(
      `<text x="${x0 + panel.width / 2}" y="${y0 - 10}" text-anchor="middle" font-size="15" font-weight="bold">${concurrency === null ? 'N = ∞ (no limit)' : `N = ${concurrency}`}</text>`,
    );
    for (let decade = yMin; decade <= yMax * 1.001; decade *= 10) {
      const yy = y(decade).toFixed(1);
      parts.push(`<line x1="${x0}" x2="${x0 + panel.width}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`);
      parts.push(`<text x="${x0 - 6}" y="${yy}" dy="4" text-anchor="end" font-size="12">${tick(decade)}</text>`);
    }
    for (const k of results.ks) {
      const xx = x(k).toFixed(1);
      parts.push(`<line x1="${xx}" x2="${xx}" y1="${y0}" y2="${y0 + panel.height}" stroke="#e3e3e3"/>`);
      parts.push(`<text x="${xx}" y="${y0 + panel.height + 18}" text-anchor="middle" font-size="12">${k >= 1000 ? `${k / 1000}k` : k}</text>`);
    }
    parts.push(`<text x="${x0 + panel.width / 2}" y="${y0 + panel.height + 40}" text-anchor="middle" font-size="13">K (calls in the batch)</text>`);
    parts.push(
      `<text transform="translate(${x0 - 52},${y0 + panel.height / 2}) rotate(-90)" text-anchor="middle" font-size="13">µs per call</text>`,
    );
    for (const series of results.overhead.filter((o) => o.concurrency === concurrency)) {
      const info = systems.find((s) => s.id === series.system)!;
      const points = series.points.filter((p) => p.median > 0);
      if (points.length === 0) continue;
      const stroke = info.ours ? 3.5 : 2;
      const dash = info.id === 'worker-pool' || info.id === 'promise-all' ? ' stroke-dasharray="6 4"' : '';
      const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.k).toFixed(1)},${y(p.median).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${info.color}" stroke-width="${stroke}"${dash}/>`);
      for (const p of points) {
        parts.push(`<circle cx="${x(p.k).toFixed(1)}" cy="${y(p.median).toFixed(1)}" r="${info.ours ? 4.5 : 3.5}" fill="${info.color}"><title>${esc(info.label)}: ${fmtUs(p.median)} µs/call at K=${p.k}</title></circle>`);
      }
    }
  });

  // Legend: two columns under the panels.
  const present = systems.filter((s) => results.overhead.some((o) => o.system === s.id));
  const legendTop = panel.top + panel.height + 70;
  present.forEach((info, i) => {
    const column = i % 3;
    const row = Math.floor(i / 3);
    const lx = panel.left + column * 300;
    const ly = legendTop + row * 24;
    const dash = info.id === 'worker-pool' || info.id === 'promise-all' ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<line x1="${lx}" x2="${lx + 30}" y1="${ly}" y2="${ly}" stroke="${info.color}" stroke-width="${info.ours ? 3.5 : 2}"${dash}/>`);
    parts.push(`<circle cx="${lx + 15}" cy="${ly}" r="${info.ours ? 4.5 : 3.5}" fill="${info.color}"/>`);
    parts.push(`<text x="${lx + 38}" y="${ly}" dy="4" font-size="13"${info.ours ? ' font-weight="bold"' : ''}>${esc(info.label)}</text>`);
  });

  const stopped = results.overhead.some((o) => o.skipped.length > 0);
  if (stopped) {
    parts.push(
      `<text x="${panel.left}" y="${legendTop + Math.ceil(present.length / 3) * 24 + 12}" font-size="12" fill="#555">A line that stops short: the next K did not fit in that system's time budget (see RESULTS.md).</text>`,
    );
  }

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fafafa"/>
${parts.join('\n')}
</svg>
`;
}
