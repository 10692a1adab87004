/**
 * Two measurements for the production parts, in one run, interleaved:
 *
 * 1. **Write cost per settlement** of each run store (file, Redis,
 *    Postgres): the checkpoints a real 16-call batch writes (one after each
 *    settlement) are captured, then each store saves each of them again, one
 *    save at a time as `keepCheckpoints` does, and the median (and p90)
 *    time of one save is reported in µs. Redis is a redis-server of the
 *    bench's own on loopback; Postgres the machine's (`DATABASE_URL`, default
 *    `postgres://postgres@127.0.0.1:5432/test`), in a schema dropped at the end.
 * 2. **The cost of the OpenTelemetry hook**: a 10-call no-op batch through
 *    `runToolBatch` and through `traceToolBatch` with no tracer provider
 *    registered (the global no-op one), median µs per batch; and, for scale,
 *    `traceToolBatch` recording into an SDK provider with an in-memory exporter.
 *
 * Run with `npm run bench:stores [-- --rounds 7]`; prints markdown.
 */
import { cpus } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createFileStore, defineTool, runToolBatch, type RunCheckpoint, type RunStore } from '../src/index.js';
import { createRedisStore } from '../src/adapters/bullmq/index.js';
import { createPostgresStore } from '../src/adapters/postgres/index.js';
import { traceToolBatch } from '../src/adapters/otel/index.js';
import { startTestRedis } from '../test/helpers/redis-server.js';
import { createTestSchema } from '../test/helpers/postgres.js';

const roundsFlag = process.argv.indexOf('--rounds');
const rounds = roundsFlag === -1 ? 5 : Number(process.argv[roundsFlag + 1]);

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const fmt = (us: number): string => us.toFixed(us < 100 ? 1 : 0);

/** The checkpoints a 16-call batch writes, one per change of its snapshot. */
async function capturedCheckpoints(): Promise<RunCheckpoint[]> {
  const captured: RunCheckpoint[] = [];
  const capture: RunStore = {
    load: async () => undefined,
    save: async (_runId, checkpoint) => void captured.push(checkpoint),
    delete: async () => {},
    lease: async (runId) => ({ runId, owner: 'bench', renew: async () => {}, release: async () => {} }),
  };
  const lookup = defineTool({
    name: 'lookup',
    description: 'Returns a small record',
    parameters: z.object({ n: z.number() }),
    execute: async ({ n }) => ({ n, title: `record ${n}`, tags: ['a', 'b', 'c'], score: n / 7 }),
  });
  const calls = Array.from({ length: 16 }, (_, n) => ({ id: `call_${n}`, name: 'lookup', arguments: { n } }));
  await runToolBatch(calls, { tools: [lookup], concurrency: 4, store: capture, runId: 'bench-capture' });
  return captured;
}

async function main(): Promise<void> {
  const checkpoints = await capturedCheckpoints();
  const sizes = checkpoints.map((checkpoint) => JSON.stringify(checkpoint).length);

  const dir = mkdtempSync(join(tmpdir(), 'bench-stores-'));
  const redis = await startTestRedis();
  const schema = await createTestSchema();
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 4 });
  const stores: Record<string, RunStore & { close?: () => Promise<void> }> = {
    file: createFileStore(dir),
    Redis: createRedisStore(redis.url, { prefix: 'bench' }),
    Postgres: createPostgresStore({ pool, schema: schema.name }),
  };
  // Each store's connection and tables are made before timing.
  for (const store of Object.values(stores)) await store.save('warm', checkpoints[0]!);

  const saves = new Map<string, number[]>(Object.keys(stores).map((name) => [name, []]));
  const names = Object.keys(stores);
  for (let round = 0; round < rounds; round++) {
    for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
      const store = stores[name]!;
      const runId = `run-${round}`;
      for (const checkpoint of checkpoints) {
        const started = process.hrtime.bigint();
        await store.save(runId, checkpoint);
        saves.get(name)!.push(Number(process.hrtime.bigint() - started) / 1000);
      }
    }
  }

  // The OpenTelemetry hook: no provider registered, against no hook at all.
  const noop = defineTool({ name: 'noop', description: 'does nothing', parameters: z.unknown(), execute: async () => null });
  const calls = Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, name: 'noop', arguments: {} }));
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const batches: Record<string, () => Promise<unknown>> = {
    'runToolBatch (no hook)': () => runToolBatch(calls, { tools: [noop] }),
    'traceToolBatch, no tracer provider registered': () => traceToolBatch(calls, { tools: [noop] }),
    'traceToolBatch, recording (SDK, in-memory exporter)': async () => {
      await traceToolBatch(calls, { tools: [noop], tracerProvider });
      exporter.reset();
    },
  };
  const perBatch = new Map<string, number[]>(Object.keys(batches).map((name) => [name, []]));
  const batchNames = Object.keys(batches);
  const timeBatches = async (name: string): Promise<void> => {
    const run = batches[name]!;
    const started = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) await run();
    perBatch.get(name)!.push(Number(process.hrtime.bigint() - started) / 1000 / 200);
  };
  for (const run of Object.values(batches)) for (let i = 0; i < 300; i++) await run();
  // The two compared run side by side, in alternating order; the recording one, which leaves spans to collect, after them.
  const [plainName, hookName, recordingName] = batchNames as [string, string, string];
  for (let round = 0; round < rounds * 4; round++) {
    for (const name of round % 2 === 0 ? [plainName, hookName] : [hookName, plainName]) await timeBatches(name);
    await timeBatches(recordingName);
  }

  // What the hook itself does with no provider, apart from the batch: get the tracer, start the span, see that it does not record.
  const probes = 200_000;
  let recording = 0;
  const probeStarted = process.hrtime.bigint();
  for (let i = 0; i < probes; i++) if (trace.getTracerProvider().getTracer('xstate-parallel-tools').startSpan('tool_batch').isRecording()) recording++;
  const probeNs = Number(process.hrtime.bigint() - probeStarted) / probes;

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`Measured with \`npx tsx bench/stores.ts --rounds ${rounds}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpu}), Node.js ${process.version}.\n`);
  console.log(`## Write cost per settlement\n`);
  console.log(`The ${checkpoints.length} checkpoints a 16-call batch (concurrency 4) writes, ${Math.min(...sizes)}–${Math.max(...sizes)} bytes of JSON each, saved one at a time, ${rounds} rounds interleaved (${checkpoints.length * rounds} saves per store).\n`);
  console.log('| store | median µs per save | p90 µs |');
  console.log('| --- | ---: | ---: |');
  for (const [name, values] of saves) console.log(`| ${name} | ${fmt(quantile(values, 0.5))} | ${fmt(quantile(values, 0.9))} |`);
  console.log(`\n## The OpenTelemetry hook\n`);
  console.log(`A 10-call no-op batch, ${rounds * 4} rounds of 200 batches; the first two side by side in alternating order, the recording one after them; median of the rounds' µs per batch, and the median of each round's ratio to runToolBatch in the same round (the two run a second apart, so the ratio sees the same machine load).\n`);
  console.log('| how | median µs per batch | per-round ratio to runToolBatch |');
  console.log('| --- | ---: | ---: |');
  const plain = perBatch.get(batchNames[0]!)!;
  for (const [name, values] of perBatch) {
    const ratio = quantile(values.map((value, round) => value / plain[round]!), 0.5);
    console.log(`| ${name} | ${fmt(quantile(values, 0.5))} | ${ratio.toFixed(3)} |`);
  }
  console.log(`\nThe hook's own work when no provider is registered (get the tracer, start the batch span, find it does not record, then call runToolBatch as is): ${probeNs.toFixed(0)} ns per batch${recording > 0 ? ' (a provider is registered!)' : ''}.`);

  await (stores.Redis as { close(): Promise<void> }).close();
  await pool.end();
  await schema.drop();
  await redis.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
