/**
 * `npm run bench -- --profile[=N,K]`: profiles runToolBatch (default K=10,000, N=16; N may be `inf`) with
 * `node --cpu-prof` and summarises where the time goes, by function (self
 * time) and by package.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildRequest, ChildResponse } from './protocol.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

function where(url: string): string {
  if (url === '') return '(native / GC / idle)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `${pkg[1]!}/${url.slice(url.lastIndexOf('/') + 1)}`;
  const local = /\/(src|machines|bench)\/[^/]+$/.exec(url);
  return local ? `ours: ${local[0].slice(1)}` : url;
}

/**
 * Profiles runToolBatch at `concurrency` (`null`: no limit) and `k` calls.
 */
export async function profileOurs(
  runChild: (request: ChildRequest, nodeFlags: string[]) => Promise<ChildResponse>,
  concurrency: number | null = 16,
  k = 10_000,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  try {
    const response = await runChild(
      { system: 'run-tool-batch', figure: 'overhead', concurrency, ks: [k], runs: 5, warmEachK: true, budgetSeconds: 120 },
      ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'],
    );
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('node wrote no .cpuprofile');
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
    const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
    const byFunction = new Map<string, number>();
    const byPackage = new Map<string, number>();
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      const key = `${functionName || '(anonymous)'}  ${where(url)}${url ? `:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
      const pkg = where(url).replace(/\/[^/]*\.m?js$/, '');
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    }
    const top = (map: Map<string, number>, n: number): string =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([key, hits]) => `| ${((hits / total) * 100).toFixed(1)}% | \`${key}\` |`)
        .join('\n');
    const point = response.figure === 'overhead' ? response.points[0] : undefined;
    return [
      `runToolBatch, K=${k.toLocaleString('en-US')}, N=${concurrency ?? '∞'}, no-op tool: ${point ? `${point.median.toFixed(1)} µs/call under the profiler` : ''}; whole process, including imports and warm-up.`,
      '',
      '| self time | by package |',
      '|---|---|',
      top(byPackage, 10),
      '',
      '| self time | by function |',
      '|---|---|',
      top(byFunction, 25),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
