/**
 * The benchmark suite: `npm run bench [-- --quick | --profile | --only=id,id]`,
 * on the newest LTS Node.js line (bench/package.json's `node`).
 *
 * Spawns child processes (src/child.ts) that each measure one system, collects
 * their JSON, prints the tables, and (except with `--quick` or `--only`)
 * rewrites bench/RESULTS.md and bench/overhead.svg.
 * - Default: one process per system, figure and limit.
 * - `--quick`: K ≤ 10,000, N=16 only for the systems with a limit, 3 runs,
 *   and one process per system for all its figures (memory first); well
 *   under a minute. Prints only.
 * - `--profile[=N,K]`: profiles ours (`node --cpu-prof`), by default at
 *   K=10,000, N=16 (`--profile=inf,1000` for no limit), and prints the top functions.
 * - `--render`: rewrites RESULTS.md and overhead.svg from bench/results.json
 *   (the raw numbers of the last full run), measuring nothing.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultBudgetSeconds, memoryTimeoutSeconds, systems, type SystemInfo } from './catalog.js';
import { renderChart } from './chart.js';
import { profileOurs } from './profile.js';
import type { ChildRequest, ChildResponse } from './protocol.js';
import { machineFacts, renderReport, type MachineFacts, type Results } from './report.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');

/** Runs one child process over `requests` (one system) and returns its responses, in order. */
function runChild(requests: ChildRequest[], nodeFlags: string[] = [], timeoutMs = 300_000): Promise<ChildResponse[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...nodeFlags, '--import', 'tsx', join(benchDir, 'src', 'child.ts'), JSON.stringify(requests)],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.startsWith('RESULT '));
      if (code === 0 && lines.length === requests.length) {
        resolve(lines.map((l) => JSON.parse(l.slice('RESULT '.length)) as ChildResponse));
      } else if (timedOut) {
        reject(new Error(`did not finish in ${timeoutMs / 1000} s`));
      } else {
        reject(new Error(`exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`));
      }
    });
  });
}

const fmtN = (n: number | null): string => (n === null ? '∞' : String(n));

async function main(): Promise<void> {
  const profile = process.argv.find((arg) => arg === '--profile' || arg.startsWith('--profile='));
  if (profile !== undefined) {
    const [n = '16', k = '10000'] = profile.slice('--profile='.length).split(',').filter(Boolean);
    const concurrency = n === 'inf' || n === '∞' ? null : Number(n);
    console.log(await profileOurs(async (request, flags) => (await runChild([request], flags))[0]!, concurrency, Number(k)));
    return;
  }
  if (args.has('--render')) {
    const saved = JSON.parse(readFileSync(join(benchDir, 'results.json'), 'utf8')) as { results: Results; facts: MachineFacts };
    write(saved.results, saved.facts);
    return;
  }
  const started = performance.now();
  const ks = quick ? [10, 100, 1_000, 10_000] : [10, 100, 1_000, 10_000, 100_000];
  const memoryK = quick ? 10_000 : 100_000;
  const runs = quick ? 3 : 5;
  const chosen = systems.filter((s) => only === undefined || only.includes(s.id));
  const results: Results = { quick, ks, memoryK, runs, overhead: [], makespan: [], memory: [], failFast: [], errors: [] };
  const limitOf = (info: SystemInfo, n: number): number | null => (info.limited ? n : null);

  const overheadRequests = (info: SystemInfo): ChildRequest[] =>
    (info.limited && !quick && info.measureUnlimited !== false ? [16, null] : [limitOf(info, 16)]).map((concurrency) => ({
      system: info.id,
      figure: 'overhead',
      concurrency,
      ks,
      runs,
      warmEachK: !quick,
      budgetSeconds: quick ? 8 : (info.budgetSeconds ?? defaultBudgetSeconds),
    }));
  const makespanRequest = (info: SystemInfo): ChildRequest => ({
    system: info.id, figure: 'makespan', concurrency: limitOf(info, 16), ks: [], runs: quick ? 3 : 11, warmUps: quick ? 2 : 10, warmEachK: false, budgetSeconds: 0,
  });
  const memoryRequest = (info: SystemInfo, k: number): ChildRequest => ({
    system: info.id, figure: 'memory', concurrency: limitOf(info, 16), ks: [k], runs: 1, warmEachK: false, budgetSeconds: 0,
  });
  const failFastRequest = (info: SystemInfo): ChildRequest => ({
    system: info.id, figure: 'failFast', concurrency: limitOf(info, 10), ks: [], runs: quick ? 2 : runs, warmEachK: false, budgetSeconds: 0,
  });

  const record = (request: ChildRequest, response: ChildResponse): void => {
    const key = { system: request.system, concurrency: request.concurrency };
    if (response.figure === 'overhead') results.overhead.push({ ...key, points: response.points, skipped: response.skipped });
    if (response.figure === 'makespan') results.makespan.push({ ...key, result: response.result });
    if (response.figure === 'memory') results.memory.push({ ...key, result: response.result });
    if (response.figure === 'failFast') results.failFast.push({ ...key, runs: response.runs });
  };
  const measure = async (info: SystemInfo, requests: ChildRequest[], timeoutMs?: number): Promise<boolean> => {
    const t0 = performance.now();
    const what = requests.map((r) => `${r.figure} N=${fmtN(r.concurrency)}`).join(', ');
    try {
      const responses = await runChild(requests, [], timeoutMs);
      responses.forEach((response, i) => record(requests[i]!, response));
      process.stderr.write(`  ${info.label.padEnd(30)} ${what.padEnd(22)} ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      return true;
    } catch (error) {
      const message = (error as Error).message;
      process.stderr.write(`  ${info.label.padEnd(30)} ${what.padEnd(22)} FAILED: ${message}\n`);
      results.errors.push({ system: info.id, figure: requests.map((r) => r.figure).join(', '), message });
      return false;
    }
  };
  // A memory run is one batch; one that does not end in `memoryTimeoutSeconds` is retried at a tenth of the size.
  const measureMemory = async (info: SystemInfo): Promise<void> => {
    for (let k = memoryK; k >= 1_000; k /= 10) {
      if (await measure(info, [memoryRequest(info, k)], memoryTimeoutSeconds * 1000)) return;
    }
  };

  const lts = process.release.lts === undefined ? '' : ` (LTS ${process.release.lts})`;
  process.stderr.write(`bench: ${chosen.length} systems, K ∈ {${ks.join(', ')}}${quick ? ' (quick)' : ''}, on Node.js ${process.version}${lts}\n`);
  if (quick) {
    for (const info of chosen) {
      await measure(info, [memoryRequest(info, memoryK), ...overheadRequests(info), makespanRequest(info), failFastRequest(info)]);
    }
  } else {
    for (const info of chosen) for (const request of overheadRequests(info)) await measure(info, [request]);
    for (const info of chosen) await measure(info, [makespanRequest(info)]);
    for (const info of chosen) await measureMemory(info);
    for (const info of chosen) await measure(info, [failFastRequest(info)]);
  }

  const wallSeconds = (performance.now() - started) / 1000;
  const facts = machineFacts(root, wallSeconds);
  if (quick || only !== undefined) {
    console.log(renderReport(results, facts));
    process.stderr.write(`bench: done in ${wallSeconds.toFixed(0)} s; RESULTS.md and overhead.svg left as they were\n`);
    return;
  }
  writeFileSync(join(benchDir, 'results.json'), `${JSON.stringify({ results, facts }, null, 1)}\n`);
  write(results, facts);
  process.stderr.write(`bench: done in ${wallSeconds.toFixed(0)} s; wrote bench/RESULTS.md, bench/overhead.svg and bench/results.json\n`);
}

function write(results: Results, facts: MachineFacts): void {
  const report = renderReport(results, facts);
  console.log(report);
  writeFileSync(join(benchDir, 'RESULTS.md'), report);
  writeFileSync(join(benchDir, 'overhead.svg'), renderChart(results));
}

await main();
