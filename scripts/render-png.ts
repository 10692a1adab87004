/**
 * Renders an SVG file to PNG with headless Chromium, to look at a picture as a
 * person would: `npx tsx src/render-png.ts visualizations/example-timeline.svg out/timeline.png`.
 *
 * Chromium is not a dependency (Debian: `apt-get install -y chromium`); without
 * it the script says so and exits with code 2.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const candidates = ['chromium', 'chromium-browser', 'google-chrome'];

/**
 * The first Chromium on the PATH, or `undefined`.
 *
 * @example
 * ```ts
 * if (findChromium() === undefined) console.log('install chromium first');
 * ```
 */
export function findChromium(): string | undefined {
  for (const name of candidates) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * The size an SVG asks for (its `width` / `height`, else its `viewBox`), for the browser window.
 *
 * @example
 * ```ts
 * svgSize('<svg width="1200" height="420">'); // { width: 1200, height: 420 }
 * ```
 */
export function svgSize(svg: string): { width: number; height: number } {
  const tag = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const attr = (name: string): number | undefined => {
    const value = new RegExp(`\\s${name}="([\\d.]+)(px)?"`).exec(tag)?.[1];
    return value === undefined ? undefined : Math.ceil(Number(value));
  };
  const box = /viewBox="[\d.-]+[\s,]+[\d.-]+[\s,]+([\d.]+)[\s,]+([\d.]+)"/.exec(tag);
  return {
    width: attr('width') ?? (box ? Math.ceil(Number(box[1])) : 1200),
    height: attr('height') ?? (box ? Math.ceil(Number(box[2])) : 700),
  };
}

/**
 * Screenshots an SVG file into a PNG of the SVG's own size.
 *
 * @param svgFile - the SVG to render.
 * @param pngFile - where to write the PNG.
 * @param chromium - the browser binary. Default: the first Chromium on the PATH.
 * @example
 * ```ts
 * renderSvgToPng('visualizations/example-timeline.svg', '/tmp/timeline.png');
 * ```
 */
export function renderSvgToPng(svgFile: string, pngFile: string, chromium = findChromium()): void {
  if (chromium === undefined) throw new Error('Chromium was not found on the PATH (Debian: apt-get install -y chromium)');
  const { width, height } = svgSize(readFileSync(svgFile, 'utf8'));
  const profile = mkdtempSync(join(tmpdir(), 'render-png-'));
  mkdirSync(dirname(resolve(pngFile)), { recursive: true });
  try {
    execFileSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--screenshot=${resolve(pngFile)}`,
        `--window-size=${width},${height}`,
        pathToFileURL(resolve(svgFile)).href,
      ],
      { stdio: 'ignore', timeout: 60_000 },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [svgFile = 'visualizations/example-timeline.svg', pngFile = 'out/example-timeline.png'] = process.argv.slice(2);
  if (findChromium() === undefined) {
    console.error('render-png: Chromium is not installed (Debian: apt-get install -y chromium)');
    process.exit(2);
  }
  renderSvgToPng(svgFile, pngFile);
  console.log(`wrote ${pngFile}`);
}
