/**
 * The BullMQ adapter's costs, on a local Redis (`REDIS_URL`, or a
 * `redis-server` started here), with workers in processes of their own:
 *
 * 1. Makespan of 400 calls of a 20 ms I/O-bound tool at N=64: in-process,
 *    and on 1, 2 and 4 worker processes (median of 3 runs).
 * 2. Orchestration overhead per remote call of a no-op tool, in ms (median
 *    and p99 of per-call latency), next to plain BullMQ doing the same job
 *    (add K jobs, wait for all, results in order) in the same run, on one
 *    worker process each, in rounds that alternate between the two: one call
 *    at a time, 64 in flight, and all at once. The target: ours ≤ 1.15×
 *    plain BullMQ.
 *
 * Run with `npx tsx bench/bullmq.ts`; prints the tables and writes
 * bench/RESULTS-bullmq.md. The same file is the worker processes' entry
 * (`bullmq.ts worker ours|plain <queue> <concurrency> <redis-url>`).
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { z } from 'zod';
import { defineTool, runToolBatch, type ToolCall } from '../src/index.js';
import { createBullMQRunner, createBullMQWorker } from '../src/adapters/bullmq/index.js';
import { startLocalRedis } from '../src/cli/demo/local-redis.js';

const here = fileURLToPath(import.meta.url);

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/** The bench's tools: `sleep` (I/O-bound, `ms`) and `noop`. Both answer with their `i`. */
const tools = [
  defineTool({ name: 'sleep', description: 'Waits', parameters: z.object({ i: z.number(), ms: z.number() }), execute: async ({ i, ms }, { signal }) => (await sleep(ms, signal), i) }),
  defineTool({ name: 'noop', description: 'Answers at once', parameters: z.object({ i: z.number() }), execute: ({ i }) => i }),
];

// ---- worker processes -------------------------------------------------------

function startWorker(kind: 'ours' | 'plain', queueName: string, concurrency: number, redisUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...process.execArgv, here, 'worker', kind, queueName, String(concurrency), redisUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`a ${kind} worker exited (code ${code})`)));
  });
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

// ---- measures ----------------------------------------------------------------

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const p99 = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
};
const ms = (value: number, digits = 2): string => value.toFixed(digits);

const callsOf = (name: 'sleep' | 'noop', k: number, run: number): ToolCall[] =>
  Array.from({ length: k }, (_, i) => ({ id: `r${run}-c${i}`, name, arguments: name === 'sleep' ? { i, ms: 20 } : { i } }));

function checkInOrder(results: unknown[]): void {
  results.forEach((result, i) => {
    if (result !== i) throw new Error(`result ${i} is ${JSON.stringify(result)}: out of order`);
  });
}

let run = 0;

/** Makespan of one batch of 400 × 20 ms at N=64, in ms. */
async function makespan(options: { tools: typeof tools } | { runner: { runTool: ReturnType<typeof createBullMQRunner>['runTool'] } }): Promise<number> {
  const start = performance.now();
  const outputs = await runToolBatch(callsOf('sleep', 400, run++), { ...options, concurrency: 64 });
  const elapsed = performance.now() - start;
  checkInOrder(outputs.map((output) => output.result));
  return elapsed;
}

/**
 * Per-call latencies of our runner, in ms, at a concurrency: from the call's
 * start (`call.started`) to its result (`call.settled`); with `fromBatchStart`,
 * from the batch's start instead (all calls are sent at once).
 */
async function oursLatencies(runner: ReturnType<typeof createBullMQRunner>, k: number, concurrency: number, fromBatchStart = false): Promise<number[]> {
  const started = new Map<number, number>();
  const latencies: number[] = [];
  const origin = performance.now();
  const outputs = await runToolBatch(callsOf('noop', k, run++), {
    runner,
    concurrency,
    onEvent: (event) => {
      if (event.type === 'call.started') started.set(event.index, performance.now());
      else if (event.type === 'call.settled') latencies.push(performance.now() - (fromBatchStart ? origin : started.get(event.index)!));
    },
  });
  checkInOrder(outputs.map((output) => output.result));
  return latencies;
}

/**
 * The same job in plain BullMQ: `queue.add`, `job.waitUntilFinished`, results
 * in order, with at most `lanes` jobs in flight; latency from each job's add
 * (or, with `fromBatchStart`, from the start of all) to its result.
 */
async function plainLatencies(queue: Queue, events: QueueEvents, k: number, lanes: number, fromBatchStart = false): Promise<number[]> {
  const latencies: number[] = [];
  const results: unknown[] = new Array(k);
  const r = run++;
  const origin = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < k) {
      const i = next++;
      const start = performance.now();
      const job = await queue.add('noop', { i }, { jobId: `r${r}-c${i}` });
      results[i] = await job.waitUntilFinished(events);
      latencies.push(performance.now() - (fromBatchStart ? origin : start));
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, k) }, lane));
  checkInOrder(results);
  return latencies;
}

// ---- the run -----------------------------------------------------------------

async function main(): Promise<void> {
  const local = process.env.REDIS_URL ? undefined : await startLocalRedis();
  const redisUrl = process.env.REDIS_URL ?? local!.url;
  const stamp = Date.now();
  // The machine may be shared: its load when the run starts goes into the report.
  const loadAtStart = loadavg()[0]!;
  const lines: string[] = [];
  const out = (line = ''): void => {
    lines.push(line);
    console.log(line);
  };
  try {
    // 1. Makespan.
    const makespans: Array<[string, number]> = [];
    await makespan({ tools }); // warm-up
    const inProcess = [await makespan({ tools }), await makespan({ tools }), await makespan({ tools })];
    makespans.push(['in-process', median(inProcess)]);
    for (const count of [1, 2, 4]) {
      const queueName = `bench-makespan-${count}-${stamp}`;
      const workers = await Promise.all(Array.from({ length: count }, () => startWorker('ours', queueName, 64, redisUrl)));
      const runner = createBullMQRunner({ connection: redisUrl, queueName });
      try {
        await makespan({ runner }); // warm-up
        const runs = [await makespan({ runner }), await makespan({ runner }), await makespan({ runner })];
        makespans.push([`${count} worker process${count === 1 ? '' : 'es'}`, median(runs)]);
      } finally {
        await runner.close();
        await stopWorkers(workers);
      }
    }

    // For reference: plain BullMQ doing the same 400 × 20 ms with 64 in flight, on one worker process.
    {
      const queueName = `bench-makespan-plain-${stamp}`;
      const workers = [await startWorker('plain', queueName, 64, redisUrl)];
      const queue = new Queue(queueName, { connection: { url: redisUrl } });
      const events = new QueueEvents(queueName, { connection: { url: redisUrl } });
      events.setMaxListeners(0);
      queue.setMaxListeners(0);
      await events.waitUntilReady();
      const plainMakespan = async (): Promise<number> => {
        const start = performance.now();
        const results: unknown[] = new Array(400);
        const r = run++;
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < 400) {
            const i = next++;
            const job = await queue.add('sleep', { i, ms: 20 }, { jobId: `r${r}-c${i}` });
            results[i] = await job.waitUntilFinished(events);
          }
        };
        await Promise.all(Array.from({ length: 64 }, lane));
        checkInOrder(results);
        return performance.now() - start;
      };
      try {
        await plainMakespan();
        makespans.push(['plain BullMQ, 1 worker process (reference)', median([await plainMakespan(), await plainMakespan(), await plainMakespan()])]);
      } finally {
        await events.close();
        await queue.close();
        await stopWorkers(workers);
      }
    }

    // 2. Overhead per remote call, ours and plain BullMQ side by side, one worker process each.
    const oursQueue = `bench-ours-${stamp}`;
    const plainQueue = `bench-plain-${stamp}`;
    const workers = await Promise.all([startWorker('ours', oursQueue, 64, redisUrl), startWorker('plain', plainQueue, 64, redisUrl)]);
    const runner = createBullMQRunner({ connection: redisUrl, queueName: oursQueue });
    const queue = new Queue(plainQueue, { connection: { url: redisUrl } });
    const events = new QueueEvents(plainQueue, { connection: { url: redisUrl } });
    await events.waitUntilReady();
    // `waitUntilFinished` adds listeners per job: 400 at once is no leak.
    events.setMaxListeners(0);
    queue.setMaxListeners(0);
    const overhead: Array<{ mode: string; ours: number[]; plain: number[] }> = [
      { mode: 'one at a time (K=60 × 7 rounds)', ours: [], plain: [] },
      { mode: '64 in flight (K=400 × 7), from each call\'s start', ours: [], plain: [] },
      { mode: 'all at once (K=400 × 7; ours at `concurrency: Infinity` starts 256, the rest as they settle), from the start of all', ours: [], plain: [] },
    ];
    try {
      // Warm-up, then alternate so that drift in the machine hits both alike.
      await oursLatencies(runner, 200, 64);
      await plainLatencies(queue, events, 200, 64);
      for (let round = 0; round < 7; round++) {
        overhead[0]!.ours.push(...(await oursLatencies(runner, 60, 1)));
        overhead[0]!.plain.push(...(await plainLatencies(queue, events, 60, 1)));
        overhead[1]!.ours.push(...(await oursLatencies(runner, 400, 64)));
        overhead[1]!.plain.push(...(await plainLatencies(queue, events, 400, 64)));
        // Infinity: the batch's own "all at once", which starts 256 calls and the rest as those settle.
        overhead[2]!.ours.push(...(await oursLatencies(runner, 400, Infinity, true)));
        overhead[2]!.plain.push(...(await plainLatencies(queue, events, 400, 400, true)));
      }
    } finally {
      await runner.close();
      await events.close();
      await queue.close();
      await stopWorkers(workers);
    }

    // The report.
    const redisVersion = (() => {
      try {
        return execSync('redis-server --version', { encoding: 'utf8' }).match(/v=([\d.]+)/)?.[1] ?? 'unknown';
      } catch {
        return 'unknown';
      }
    })();
    out('# BullMQ adapter: makespan and overhead per remote call');
    out();
    out(`Run with \`npx tsx bench/bullmq.ts\` on ${new Date().toISOString().slice(0, 10)}: ${availableParallelism()} cores (\`nproc\`), ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node.js ${process.version}, Redis ${redisVersion} on loopback, bullmq ${bullmqVersion()}. Workers are processes of their own; the orchestrator and Redis share the same cores. Load average when the run started: ${loadAtStart.toFixed(1)}.`);
    out();
    out('## Makespan: 400 calls of a 20 ms I/O-bound tool at N=64 (median of 3 runs)');
    out();
    out('| where the tools run | makespan (ms) | × ideal (140 ms) |');
    out('|---|---:|---:|');
    for (const [where, value] of makespans) out(`| ${where} | ${ms(value, 0)} | ${ms(value / 140)} |`);
    out();
    out('## Orchestration overhead per remote call: a no-op tool on one worker process (ms)');
    out();
    out('Per-call latency, from the call being sent to its result being back: ours from `call.started` to `call.settled` (`runToolBatch` with the runner at that concurrency), plain BullMQ from `queue.add` to `job.waitUntilFinished` resolving (that many lanes of add-then-wait). Results in input order in both. Rounds alternate between the two.');
    out();
    out('| job | ours median | plain median | ours ÷ plain | ours p99 | plain p99 | ours ÷ plain (p99) |');
    out('|---|---:|---:|---:|---:|---:|---:|');
    for (const { mode, ours, plain } of overhead) {
      out(`| ${mode} | ${ms(median(ours))} | ${ms(median(plain))} | ${ms(median(ours) / median(plain))} | ${ms(p99(ours))} | ${ms(p99(plain))} | ${ms(p99(ours) / p99(plain))} |`);
    }
    out();
    out('Target: ours ≤ 1.15× plain BullMQ.');
    writeFileSync(new URL('./RESULTS-bullmq.md', import.meta.url), `${lines.join('\n')}\n`);
    console.log('\nwrote bench/RESULTS-bullmq.md');
  } finally {
    await local?.stop();
  }
}

function bullmqVersion(): string {
  try {
    return (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// ---- entry -------------------------------------------------------------------

if (process.argv[2] === 'worker') {
  const [, , , kind, queueName, concurrency, redisUrl] = process.argv as [string, string, string, string, string, string, string];
  if (kind === 'ours') {
    const worker = createBullMQWorker({ connection: redisUrl, queueName, tools, concurrency: Number(concurrency) });
    await worker.ready;
  } else {
    // Plain BullMQ: the same work, no adapter.
    const worker = new Worker(
      queueName,
      async (job) => {
        const data = job.data as { i: number; ms?: number };
        if (job.name === 'sleep') await sleep(data.ms ?? 0);
        return data.i;
      },
      { connection: { url: redisUrl }, concurrency: Number(concurrency) },
    );
    await worker.waitUntilReady();
  }
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => process.exit(0));
  process.once('SIGINT', () => process.exit(0));
} else {
  await main();
}
