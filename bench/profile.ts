/**
 * `npm run bench -- --profile`: profiles runToolBatch at K=10,000, N=16 with
 * `node --cpu-prof` and summarises where the time goes, by function (self
 * time) and by package.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildRequest, ChildResponse } from './protocol.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function where(url: string): string {
  if (url === '') return '(native / GC / idle)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const local = /\/(src|machines|bench)\/[^/]+$/.exec(url);
  return local ? `ours: ${local[0].slice(1)}` : url;
}

export async function profileOurs(runChild: (request: ChildRequest, nodeFlags: string[]) => Promise<ChildResponse>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  try {
    const response = await runChild(
      { system: 'run-tool-batch', figure: 'overhead', concurrency: 16, ks: [10_000], runs: 5, warmEachK: true, budgetSeconds: 120 },
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
      const { functionName, url, lineNumber } = node.callFrame;
      const key = `${functionName || '(anonymous)'}  ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
      byPackage.set(where(url), (byPackage.get(where(url)) ?? 0) + hits);
    }
    const top = (map: Map<string, number>, n: number): string =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([key, hits]) => `| ${((hits / total) * 100).toFixed(1)}% | \`${key}\` |`)
        .join('\n');
    const point = response.figure === 'overhead' ? response.points[0] : undefined;
    return [
      `runToolBatch, K=10,000, N=16, no-op tool: ${point ? `${point.median.toFixed(1)} µs/call under the profiler` : ''}; whole process, including imports and warm-up.`,
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
