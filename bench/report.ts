/**
 * Renders the collected measurements as bench/RESULTS.md: the machine, the
 * four tables, the targets, and how it was measured.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defaultBudgetSeconds, memoryTimeoutSeconds, systems, type SystemInfo } from './catalog.js';
import type { FailFastRun, MakespanResult, MemoryResult, OverheadPoint, SkippedK } from './protocol.js';

/** Everything one run of the suite measured. `concurrency: null` is N=∞. */
export interface Results {
  quick: boolean;
  ks: number[];
  memoryK: number;
  runs: number;
  overhead: { system: string; concurrency: number | null; points: OverheadPoint[]; skipped: SkippedK[] }[];
  makespan: { system: string; concurrency: number | null; result: MakespanResult }[];
  memory: { system: string; concurrency: number | null; result: MemoryResult }[];
  failFast: { system: string; concurrency: number | null; runs: FailFastRun[] }[];
  /** Measurements that failed (a child that crashed or did not finish). */
  errors: { system: string; figure: string; message: string }[];
}

export interface MachineFacts {
  date: string;
  cpu: string;
  cores: number;
  node: string;
  commit: string;
  versions: string;
  wallSeconds: number;
}

const fmtK = (k: number): string => k.toLocaleString('en-US');
const fmtN = (n: number | null): string => (n === null ? '∞' : String(n));
const info = (id: string): SystemInfo => systems.find((s) => s.id === id)!;

/** 3 significant digits, without exponent notation. */
export function fmtUs(us: number): string {
  if (us >= 100) return us.toFixed(0);
  if (us >= 10) return us.toFixed(1);
  if (us >= 1) return us.toFixed(2);
  return us.toFixed(3);
}

function version(root: string, dir: string, pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export function machineFacts(root: string, wallSeconds: number): MachineFacts {
  let cpu = '?';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? '?';
  } catch {
    // Not Linux: leave it unknown.
  }
  let commit = '?';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain -- src machines', { cwd: root, encoding: 'utf8' }).trim();
    if (dirty !== '') commit += ' (with uncommitted changes in src/ or machines/)';
  } catch {
    // Not a git checkout.
  }
  const peers = ['p-limit', 'p-queue', 'effect', '@langchain/langgraph', '@langchain/core', 'ai', '@openai/agents', '@mastra/core', 'zod'];
  const versions = [
    `xstate ${version(root, '.', 'xstate')}`,
    ...peers.map((pkg) => `${pkg} ${version(root, 'bench', pkg)}`),
  ].join(', ');
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpu,
    cores: availableParallelism(),
    node: process.release.lts === undefined ? process.version : `${process.version} (LTS ${process.release.lts})`,
    commit,
    versions,
    wallSeconds,
  };
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function overheadTable(results: Results, concurrency: number | null): string {
  const rows = results.overhead.filter((o) => o.concurrency === concurrency);
  // The floor: the worker pool under a limit, plain Promise.all without one.
  const floorId = concurrency === null ? 'promise-all' : 'worker-pool';
  const floor = rows.find((o) => o.system === floorId);
  const header = ['system', ...results.ks.map((k) => `K=${fmtK(k)}`), `cost at ${fmtK(results.ks.at(-1)!)} / cost at 1,000`];
  const body = rows.map((o) => {
    const s = info(o.system);
    const cells = results.ks.map((k) => {
      const point = o.points.find((p) => p.k === k);
      if (point === undefined) return o.skipped.some((x) => x.k === k) ? 'over budget²' : '—';
      const base = floor?.points.find((p) => p.k === k);
      const times = base ? point.median / base.median : 0;
      const ratio = base && o.system !== floorId ? ` (${times < 10 ? times.toFixed(1) : Math.round(times).toLocaleString('en-US')}×)` : '';
      return `${fmtUs(point.median)}${ratio}`;
    });
    const last = o.points.find((p) => p.k === results.ks.at(-1));
    const thousand = o.points.find((p) => p.k === 1_000);
    const growth = last && thousand ? (last.median / thousand.median).toFixed(2) : '—';
    const label = s.ours ? `**${s.label}**` : s.label;
    return [label, ...cells, growth];
  });
  return table(header, body);
}

function makespanTable(results: Results): string {
  const floorMs = (concurrency: number | null): number | undefined =>
    results.makespan.find((m) => m.system === (concurrency === null ? 'promise-all' : 'worker-pool') && m.concurrency === concurrency)?.result.medianMs;
  return table(
    ['system', 'N', 'ideal (ms)', 'measured (ms, median)', 'measured / ideal', 'measured / floor', 'runs (ms)'],
    results.makespan.map(({ system, concurrency, result }) => [
      info(system).ours ? `**${info(system).label}**` : info(system).label,
      fmtN(concurrency),
      result.idealMs.toFixed(0),
      result.medianMs.toFixed(1),
      (result.medianMs / result.idealMs).toFixed(3),
      floorMs(concurrency) === undefined ? '—' : (result.medianMs / floorMs(concurrency)!).toFixed(3),
      result.runs.map((ms) => ms.toFixed(1)).join(', '),
    ]),
  );
}

function memoryTable(results: Results): string {
  return table(
    ['system', 'N', 'K', 'peak heap (MB)', 'heap growth (MB)', 'peak RSS (MB)', 'RSS growth (MB)', 'run time (s)'],
    results.memory.map(({ system, concurrency, result: m }) => [
      info(system).ours ? `**${info(system).label}**` : info(system).label,
      fmtN(concurrency),
      m.k === results.memoryK ? fmtK(m.k) : `${fmtK(m.k)}¹`,
      m.peakHeapMB.toFixed(0),
      (m.peakHeapMB - m.baselineHeapMB).toFixed(0),
      m.peakRssMB.toFixed(0),
      (m.peakRssMB - m.baselineRssMB).toFixed(0),
      (m.ms / 1000).toFixed(2),
    ]),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function failFastTable(results: Results): string {
  return table(
    ['system', 'N', 'what a failure does', 'settles by', 'time to settle (ms, median)', 'calls started after the failure (per run)', 'calls started', 'last call done at (ms)'],
    results.failFast.map(({ system, concurrency, runs }) => {
      const rejected = runs.every((r) => r.rejected);
      const s = info(system);
      const settles = s.id === 'tool-batch-actor' ? "output `status: 'failed'`" : rejected ? 'rejecting' : 'resolving';
      return [
        s.ours ? `**${s.label}**` : s.label,
        fmtN(concurrency),
        s.onFailure,
        settles,
        median(runs.map((r) => r.ms)).toFixed(1),
        runs.map((r) => r.startedAfter).join(', '),
        String(median(runs.map((r) => r.started))),
        median(runs.map((r) => r.quietMs)).toFixed(0),
      ];
    }),
  );
}

/** Our targets from the benchmarks issue, checked against this run. */
function targets(results: Results): string {
  const point = (system: string, n: number | null, k: number) =>
    results.overhead.find((o) => o.system === system && o.concurrency === n)?.points.find((p) => p.k === k)?.median;
  const lines: string[] = [];
  const ours = point('run-tool-batch', 16, 10_000);
  const actor = point('tool-batch-actor', 16, 10_000);
  if (ours !== undefined) {
    lines.push(`- runToolBatch at K=10,000, N=16: **${fmtUs(ours)} µs/call** (target ≤ 25: ${ours <= 25 ? 'met' : `missed by ${fmtUs(ours - 25)} µs, ${(ours / 25).toFixed(2)}×`}); the raw actor: ${actor === undefined ? '—' : `${fmtUs(actor)} µs/call`}.`);
    // The agent SDKs at the same limit (LangGraph's ToolNode has none: N=∞ against ours at N=∞), at every K.
    for (const [peer, n] of [['ai-sdk', 16], ['openai-agents', 16], ['mastra', 16], ['langgraph', null]] as const) {
      const pairs = results.ks
        .map((k) => ({ k, ours: point('run-tool-batch', n, k), peer: point(peer, n, k) }))
        .filter((pair): pair is { k: number; ours: number; peer: number } => pair.ours !== undefined && pair.peer !== undefined);
      if (pairs.length === 0) continue;
      const below = pairs.filter((pair) => pair.ours < pair.peer).length;
      const ratios = pairs.map((pair) => `${fmtK(pair.k)}: ${(pair.peer / pair.ours).toFixed(1)}×`).join(', ');
      lines.push(`- vs ${info(peer).label} (N=${fmtN(n)}): ours is lower at **${below} of ${pairs.length}** K (its cost over ours: ${ratios}).`);
    }
  }
  const big = point('run-tool-batch', 16, 100_000);
  const thousand = point('run-tool-batch', 16, 1_000);
  if (big !== undefined && thousand !== undefined) {
    const r = big / thousand;
    lines.push(`- runToolBatch cost per call at 100,000 / at 1,000 (N=16): **${r.toFixed(2)}** (target ≤ 1.3: ${r <= 1.3 ? 'met' : 'missed'}).`);
  }
  const mk = results.makespan.find((m) => m.system === 'run-tool-batch')?.result;
  if (mk) {
    const r = mk.medianMs / mk.idealMs;
    const pool = results.makespan.find((m) => m.system === 'worker-pool')?.result;
    const poolNote = pool ? ` The worker pool, under the same timers: ${(pool.medianMs / pool.idealMs).toFixed(3)}.` : '';
    lines.push(`- runToolBatch makespan / ideal: **${r.toFixed(3)}** (target ≤ 1.02: ${r <= 1.02 ? 'met' : 'missed'}).${poolNote}`);
  }
  const ff = results.failFast.find((f) => f.system === 'run-tool-batch');
  if (ff) lines.push(`- runToolBatch failFast: calls started after the failure: ${ff.runs.map((r) => r.startedAfter).join(', ')} (target 0).`);
  return lines.join('\n');
}

export function renderReport(results: Results, facts: MachineFacts): string {
  return reportText(results, facts).replace(/\n{3,}/g, '\n\n');
}

function reportText(results: Results, facts: MachineFacts): string {
  const skippedNotes = results.overhead
    .filter((o) => o.skipped.length > 0)
    .map((o) => {
      const first = o.skipped[0]!;
      const last = o.points.at(-1);
      return `- ${info(o.system).label}, N=${fmtN(o.concurrency)}: not measured from K=${fmtK(first.k)} on: its ${o.points.length > 0 ? 'runs' : 'warm-up'} ${last ? `(${fmtUs(last.median)} µs/call at K=${fmtK(last.k)})` : ''} put the runs at K=${fmtK(first.k)} at ${Number.isFinite(first.estimateSeconds) ? `about ${first.estimateSeconds.toFixed(0)} s` : 'an unknown time'}, over the ${Math.max(0, first.leftSeconds).toFixed(0)} s left of its budget.`;
    });
  const budgetNote =
    skippedNotes.length === 0
      ? ''
      : `² Each system and limit has a time budget for this table (${defaultBudgetSeconds} s; ${systems.filter((s) => s.budgetSeconds).map((s) => `${s.label} ${s.budgetSeconds} s`).join(', ')}), so that the whole suite runs in about five minutes. A K whose runs would not fit in what is left of it (estimated from the last K's cost per call, grown by the last growth factor) is left out, with every larger K:\n${skippedNotes.join('\n')}`;
  const memoryNote = results.memory.some((m) => m.result.k !== results.memoryK)
    ? `¹ One run at K=${fmtK(results.memoryK)} did not finish in ${memoryTimeoutSeconds} s; measured at the size shown instead.`
    : '';
  // A memory run that timed out and was retried at a smaller K is told in the memory note, not here.
  const failed = results.errors.filter((e) => !(e.figure === 'memory' && results.memory.some((m) => m.system === e.system)));
  const errors =
    failed.length === 0
      ? ''
      : `## Measurements that failed\n\n${failed.map((e) => `- ${info(e.system).label} (${e.figure}): ${e.message}`).join('\n')}\n\n`;
  return `# Benchmarks

${results.quick ? '**Quick run** (`--quick`): K ≤ 10,000, 3 runs, memory at 10,000 calls, one process per system for every figure.\n\n' : ''}Generated by \`npm run bench\` (bench/run.ts) on ${facts.date}, in ${facts.wallSeconds.toFixed(0)} s.

- Machine: ${facts.cores} cores (\`nproc\`), ${facts.cpu}, Node.js ${facts.node}
- Library at commit ${facts.commit}
- Versions: ${facts.versions}

The machine is shared and noisy (±30% from one run of the suite to the next): compare systems within one run, and read the ratios rather than the absolute numbers.

## Targets

${targets(results)}

## Overhead per call

µs per call with a no-op async tool (it resolves with its index), median of at least ${results.runs} runs after a warm-up, one process per system and limit. In brackets: the ratio to the floor at the same K: the worker pool at N=16, plain \`Promise.all\` at N=∞. The last column is the cost per call at the largest K divided by that at 1,000 (1.00 is linear).

![µs per call against K, log-log](overhead.svg)

### N = 16

${overheadTable(results, 16)}

### N = ∞ (no limit)

${results.quick ? 'The quick run measures the systems with a limit at N=16 only.\n\n' : 'The raw toolBatchMachine actor is measured at N=16 only; at N=∞ it does what runToolBatch does.\n\n'}${overheadTable(results, null)}

${budgetNote}

## Makespan against the ideal

K=200 calls of a 5 ms tool (\`setTimeout\`, real timers), after ten untimed warm-up runs; median of 11 runs (2 warm-up and 3 timed runs with --quick). Ideal = ⌈K/N⌉ · 5 ms: ${Math.ceil(200 / 16)} waves = ${Math.ceil(200 / 16) * 5} ms at N=16, and one wave (5 ms) for the systems without a limit. Node's timers fire a little late, and every system pays that on each wave, so the floors (the worker pool at N=16, \`Promise.all\` without a limit) do not reach 1.000 either: the last column compares with them. The time a system spends between waves, admitting the next calls, adds to the makespan on top.

${makespanTable(results)}

## Memory

One run of K no-op calls in a fresh process (\`--expose-gc\`, a full GC before). Peak heap: \`heapUsed\` sampled every 1,024 calls, every 5 ms, and once after the batch settles with its results alive. Peak RSS: \`process.resourceUsage().maxRSS\`. Growth is over the baseline after the imports, so the libraries' own code is left out of it.

${memoryTable(results)}

${memoryNote}

## failFast responsiveness

100 calls of 50 ms, N=10; call 0 fails at 10 ms. Time until the system's promise settles, and how many calls it started after the failure (counted once no call has been running for 30 ms). Systems without fail-fast are shown as they behave by default.

${failFastTable(results)}

${errors}## Against the floor, and an upstream finding

[RESULTS-floor.md](RESULTS-floor.md) compares our batch with the floor of "one XState actor per call" (a one-state machine that spawns and stops a trivial actor per call, N=16, nothing else), interleaved in one process (\`npm run bench:floor\`, on the same Node.js), at K=10 and K=10,000, with the allocation per call.

**The spread finding was Node.js 20's.** On Node.js 20, \`{ ...a, key }\` cost about 1 µs per key \`a\` lacked, and XState's \`Actor\` constructor merges its options that way (6.7 µs per actor); the hot path wrote its objects out by hand to avoid it. On Node.js 22 and later the same spreads cost nanoseconds (\`node bench/spread.mjs\` on each line; RESULTS-floor.md gives the figures), so the hot path is plain spreads again.

## How it is measured

- Every system does the same job: K calls of one tool taking \`{ i }\`, results returned in input order, checked after each run (outside the timing). The tool frameworks (ours, LangGraph, the AI SDK, the Agents SDK, Mastra) validate the arguments against a zod schema \`{ i: number }\`, as they would in use; the limiters call the function directly.
- What the timing covers: ${systems.map((s) => `${s.label}: ${s.measures}`).join('; ')}.
- One child process per system, figure and limit (\`node --expose-gc --import tsx bench/src/child.ts\`). A warm-up of three runs of 1,000 calls, then one untimed run at each K up to 10,000. No forced GC between runs (it made the next short run slower; the garbage a batch leaves is part of its cost). Smaller batches get more runs (200 for K=10, 100 for K=100, 10 for K=1,000); every figure is a median.
- The input (the calls, the AIMessage, the model's response) is built before the clock starts.
- Node.js: the newest LTS line, the binary of bench/package.json's \`node\` dependency (\`npm run bench\` runs on it whatever the system's Node is). Peers at their newest versions (above).
- Each system at its own limit, N=16 or none: the AI SDK's \`toolCallConcurrency\` (its default: none), the Agents SDK's \`toolExecution.maxFunctionToolConcurrency\` (\`null\`: none), Mastra's \`toolCallConcurrency\` (default 10; K for none), p-limit's, p-queue's and Effect's \`concurrency\`. LangGraph's \`ToolNode\` has no limit: it is measured at N=∞ only.
- Every peer ran here, offline: the AI SDK and Mastra's \`Agent\` with the AI SDK's \`MockLanguageModelV3\` from \`ai/test\` as their model, the Agents SDK with a fake \`Model\` and tracing disabled.
`;
}
