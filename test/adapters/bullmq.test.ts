/**
 * The BullMQ adapter against a real Redis, with runner and workers in this
 * process: results, failure kinds and progress come back as in-process; a
 * timeout cancels the job on its worker; a run started again with the same
 * runId reattaches to its jobs; cluster-wide limits; the Redis store; the
 * example; the CLI's worker command (a real process). The fault tests with
 * killed processes are in test/adapters/bullmq/.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createActor, SimulatedClock, toPromise } from 'xstate';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineTool, runToolBatch, toolBatchMachine, toToolCalls, ToolBatchError, ToolCallError, type AnyTool, type SettledResult, type ToolCall } from '../../src/index.js';
import { createBullMQRunner, createBullMQWorker, type BullMQRunner, type BullMQToolWorker } from '../../src/adapters/bullmq/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { main as runExample } from '../../examples/bullmq.js';
import { startChild, stopAll, until } from './bullmq/processes.js';
import { main as cliMain } from '../../src/cli/cli.js';
import { deferred, type Deferred } from '../helpers/deferred.js';

let redis: TestRedis;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
  await stopAll();
});
afterAll(async () => {
  await redis.close();
});

/** A queue name no other test uses. */
const freshQueue = (): string => `test-${randomUUID().slice(0, 8)}`;

function worker(queueName: string, tools: readonly AnyTool[], extra: Partial<Parameters<typeof createBullMQWorker>[0]> = {}): BullMQToolWorker {
  const started = createBullMQWorker({ connection: redis.url, queueName, tools, onError: () => {}, ...extra });
  opened.push(started);
  return started;
}

function runner(queueName: string, extra: Partial<Parameters<typeof createBullMQRunner>[0]> = {}): BullMQRunner {
  const made = createBullMQRunner({ connection: redis.url, queueName, ...extra });
  opened.unshift(made); // closed before the workers
  return made;
}

/** A tool whose calls wait until the test releases them by id; it records starts, ends and aborts in order. */
function gatedTool(name = 'gated') {
  const log: string[] = [];
  const gates = new Map<string, Deferred<void>>();
  const starts = new Map<string, Deferred<{ signal: AbortSignal; key: string | undefined }>>();
  const gate = (id: string) => gates.get(id) ?? gates.set(id, deferred()).get(id)!;
  const start = (id: string) => starts.get(id) ?? starts.set(id, deferred()).get(id)!;
  const tool = defineTool({
    name,
    description: 'Waits until released',
    parameters: z.object({ id: z.string() }),
    execute: async ({ id }, { signal, idempotencyKey }) => {
      log.push(`start ${id}`);
      start(id).resolve({ signal, key: idempotencyKey });
      const aborted = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => {
          log.push(`abort ${id} ${(signal.reason as Error).name}`);
          reject(signal.reason);
        }),
      );
      await Promise.race([gate(id).promise, aborted]);
      log.push(`end ${id}`);
      return { id };
    },
  });
  return { tool, log, release: (id: string) => gate(id).resolve(), started: (id: string) => start(id).promise };
}

const calls = (name: string, ids: string[]): ToolCall[] => ids.map((id) => ({ id, name, arguments: { id } }));

/** The events BullMQ wrote for a queue, as `event jobId`. */
async function queueEvents(queueName: string, types: string[]): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    const entries = (await client.xrange(`bull:${queueName}:events`, '-', '+')) as Array<[string, string[]]>;
    return entries
      .map(([, fields]) => Object.fromEntries(fields.flatMap((value, i) => (i % 2 === 0 ? [[value, fields[i + 1]]] : []))) as Record<string, string>)
      .filter((event) => types.includes(event.event!))
      .map((event) => `${event.event} ${decodeURIComponent(event.jobId!)}`);
  } finally {
    client.disconnect();
  }
}

describe('createBullMQRunner with createBullMQWorker', () => {
  it('runs each call as a job and returns the outputs in input order when later calls finish first', async () => {
    const queueName = freshQueue();
    const gated = gatedTool();
    await worker(queueName, [gated.tool], { concurrency: 4 }).ready;
    const batch = runToolBatch(calls('gated', ['a', 'b', 'c']), { runner: runner(queueName), concurrency: 3 });
    await Promise.all(['a', 'b', 'c'].map(gated.started));
    gated.release('c');
    gated.release('b');
    gated.release('a');
    expect(await batch).toEqual([
      { id: 'a', result: { id: 'a' } },
      { id: 'b', result: { id: 'b' } },
      { id: 'c', result: { id: 'c' } },
    ]);
    expect(gated.log.slice(3).every((entry) => entry.startsWith('end '))).toBe(true);
  });

  it('runs inside your own statechart through provide()', async () => {
    const queueName = freshQueue();
    const double = defineTool({ name: 'double', description: 'Doubles', parameters: z.object({ n: z.number() }), execute: ({ n }) => n * 2 });
    await worker(queueName, [double]).ready;
    const machine = toolBatchMachine.provide({ actors: { runTool: runner(queueName).runTool } });
    const actor = createActor(machine, { input: { calls: [1, 2].map((n) => ({ id: `d${n}`, name: 'double', arguments: { n } })), options: { concurrency: 2 } } });
    expect(await toPromise(actor.start())).toEqual({
      status: 'succeeded',
      outputs: [
        { id: 'd1', result: 2 },
        { id: 'd2', result: 4 },
      ],
    });
  });

  it('fails calls with the kinds and messages an in-process batch reports', async () => {
    const queueName = freshQueue();
    const tools: AnyTool[] = [
      defineTool({ name: 'add', description: 'Adds', parameters: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b }),
      defineTool({ name: 'throws', description: 'Throws', parameters: z.object({}), execute: () => { throw new RangeError('out of range'); } }),
      defineTool({ name: 'rejectsString', description: 'Rejects with a string', parameters: z.object({}), execute: () => Promise.reject('plain') }),
      defineTool({ name: 'ownKind', description: 'Throws a ToolCallError', parameters: z.object({}), execute: () => { throw new ToolCallError('invalidArguments', 'no such city', { details: { city: 'Atlantis' } }); } }),
      defineTool({ name: 'returnsMap', description: 'Returns a Map', parameters: z.object({}), execute: () => ({ items: new Map() }) }),
      defineTool({ name: 'returnsUndefined', description: 'Returns nothing', parameters: z.object({}), execute: () => undefined }),
    ];
    await worker(queueName, tools).ready;
    const batch = toToolCalls([
      { id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":1,"b":2}' } },
      { id: 'c2', type: 'function', function: { name: 'add', arguments: '{"a":"x"}' } },
      { id: 'c3', type: 'function', function: { name: 'add', arguments: '{"a":1,' } },
      { id: 'c4', type: 'function', function: { name: 'nope', arguments: '{}' } },
      { id: 'c5', type: 'function', function: { name: 'throws', arguments: '{}' } },
      { id: 'c6', type: 'function', function: { name: 'rejectsString', arguments: '{}' } },
      { id: 'c7', type: 'function', function: { name: 'ownKind', arguments: '{}' } },
      { id: 'c8', type: 'function', function: { name: 'returnsMap', arguments: '{}' } },
      { id: 'c9', type: 'function', function: { name: 'returnsUndefined', arguments: '{}' } },
    ]);
    const shape = (results: SettledResult[]) =>
      results.map((r) =>
        r.ok ? r.output : { index: r.failure.index, kind: r.failure.kind, message: r.failure.message, details: (r.failure.error as { details?: unknown } | undefined)?.details },
      );
    const remote = shape(await runToolBatch(batch, { runner: runner(queueName), policy: 'settleAll' }));
    const local = shape(await runToolBatch(batch, { tools, policy: 'settleAll' }));
    expect(remote).toEqual(local);
    expect(remote.map((r) => ('kind' in r ? r.kind : 'ok'))).toEqual([
      'ok',
      'invalidArguments',
      'invalidArguments',
      'unknownTool',
      'error',
      'error',
      'invalidArguments',
      'invalidResult',
      'invalidResult',
    ]);
  });

  it('forwards the tool progress reports as call.progress events, and names the worker with reportWorker', async () => {
    const queueName = freshQueue();
    const steps = defineTool({
      name: 'steps',
      description: 'Reports progress',
      parameters: z.object({}),
      execute: (_, { reportProgress }) => {
        reportProgress({ progress: 1, total: 2, message: 'half' });
        reportProgress({ progress: 2, total: 2 });
        return 'done';
      },
    });
    await worker(queueName, [steps], { name: 'w-1', reportWorker: true }).ready;
    const progress: unknown[] = [];
    const outputs = await runToolBatch([{ id: 'p', name: 'steps', arguments: {} }], {
      runner: runner(queueName),
      onEvent: (event) => {
        if (event.type === 'call.progress') progress.push({ progress: event.progress, total: event.total, message: event.message });
      },
    });
    expect(outputs).toEqual([{ id: 'p', result: 'done' }]);
    expect(progress).toEqual([
      { progress: 0, total: undefined, message: 'on w-1' },
      { progress: 1, total: 2, message: 'half' },
      { progress: 2, total: 2, message: undefined },
    ]);
  });

  it('asks for an approval a remote tool needs, and runs the approved call as a job of its own', async () => {
    const queueName = freshQueue();
    const ran: string[] = [];
    const transfer = defineTool({
      name: 'transfer',
      description: 'Moves money',
      parameters: z.object({ amount: z.number() }),
      needsApproval: ({ amount }) => amount > 100,
      execute: ({ amount }, { call }) => {
        ran.push(call.id);
        return { sent: amount };
      },
    });
    await worker(queueName, [transfer]).ready;
    const asked: unknown[] = [];
    const results = await runToolBatch(
      [
        { id: 'small', name: 'transfer', arguments: { amount: 5 } },
        { id: 'big', name: 'transfer', arguments: { amount: 500 } },
        { id: 'huge', name: 'transfer', arguments: { amount: 5000 } },
      ],
      {
        runner: runner(queueName),
        runId: 'approvals-1',
        policy: 'settleAll',
        approve: (request) => {
          asked.push({ id: request.id, arguments: request.arguments });
          return request.id === 'big';
        },
      },
    );
    expect(asked).toEqual([
      { id: 'big', arguments: { amount: 500 } },
      { id: 'huge', arguments: { amount: 5000 } },
    ]);
    expect(results.map((r) => (r.ok ? r.output : r.failure.kind))).toEqual([{ id: 'small', result: { sent: 5 } }, { id: 'big', result: { sent: 500 } }, 'denied']);
    expect(ran.sort()).toEqual(['big', 'small']);
    expect((await queueEvents(queueName, ['added'])).sort()).toEqual([
      'added approvals-1:big',
      'added approvals-1:big#approved',
      'added approvals-1:huge',
      'added approvals-1:small',
    ]);
  });

  it("retries a failed remote call as its tool's retry says, each attempt a job of its own with the same idempotency key", async () => {
    const queueName = freshQueue();
    const keys: string[] = [];
    let calls = 0;
    const flaky = defineTool({
      name: 'flaky',
      description: 'Fails twice',
      parameters: z.object({}),
      retry: { attempts: 3, initialDelayMs: 1 },
      execute: (_, { idempotencyKey }) => {
        keys.push(idempotencyKey!);
        calls += 1;
        if (calls < 3) throw new Error(`attempt ${calls} failed`);
        return 'third time';
      },
    });
    await worker(queueName, [flaky]).ready;
    const retrying: number[] = [];
    // The runner is given the tools too: their `retry` (and `timeoutMs`) are decided on this side.
    const outputs = await runToolBatch([{ id: 'f', name: 'flaky', arguments: {} }], {
      runner: runner(queueName, { tools: [flaky] }),
      runId: 'retry-1',
      onEvent: (event) => {
        if (event.type === 'call.retrying') retrying.push(event.attempt);
      },
    });
    expect(outputs).toEqual([{ id: 'f', result: 'third time' }]);
    expect(keys).toEqual(['retry-1:f', 'retry-1:f', 'retry-1:f']);
    expect(await queueEvents(queueName, ['added'])).toEqual(['added retry-1:f', 'added retry-1:f#2', 'added retry-1:f#3']);
    expect(retrying).toEqual([2, 3]);
  });

  it('a timeout aborts the tool on its worker with a TimeoutError, and the job ends failed as cancelled', async () => {
    const queueName = freshQueue();
    const gated = gatedTool();
    await worker(queueName, [gated.tool]).ready;
    const clock = new SimulatedClock();
    const batch = runToolBatch(calls('gated', ['slow']), { runner: runner(queueName), timeoutMs: 500, runId: 'timeout-run', clock });
    const failure = batch.then(
      () => undefined,
      (error: unknown) => error,
    );
    const { signal } = await gated.started('slow');
    clock.increment(500);
    const error = await failure;
    expect(ToolBatchError.isInstance(error) && error.failures.map((f) => [f.kind, f.message])).toEqual([['timeout', 'the tool did not settle within 500 ms']]);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect((signal.reason as Error).name).toBe('TimeoutError');
    const queue = new Queue(queueName, { connection: { url: redis.url } });
    try {
      const jobId = encodeURIComponent('timeout-run:slow');
      while ((await queue.getJobState(jobId)) !== 'failed') await new Promise((resolve) => setTimeout(resolve, 10));
      const job = await Job.fromId(queue, jobId);
      expect(JSON.parse(job!.failedReason)).toEqual({ 'xstate-parallel-tools': 1, kind: 'timeout', message: 'the tool did not settle within 500 ms', cancelled: true });
    } finally {
      await queue.close();
    }
    expect(gated.log).toEqual(['start slow', 'abort slow TimeoutError']);
  });

  it("enforces a tool's own timeoutMs on its worker when the runner has no tools: the call fails with kind timeout and the tool's signal aborts", async () => {
    const queueName = freshQueue();
    const seen: string[] = [];
    const late = deferred<void>();
    const slow = defineTool({
      name: 'slow',
      description: 'Answers late, unless its signal aborts first',
      parameters: z.object({}),
      timeoutMs: 200,
      execute: async (_args, { signal }) => {
        const aborted = new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => {
            seen.push(`abort ${(signal.reason as Error).name}: ${(signal.reason as Error).message}`);
            reject(signal.reason);
          }),
        );
        aborted.catch(() => {});
        await Promise.race([late.promise, aborted]);
        return 'late';
      },
    });
    await worker(queueName, [slow]).ready;
    // No batch timeout and no `tools` on the runner: only the worker knows the tool's 200 ms.
    const error = await runToolBatch([{ id: 's1', name: 'slow', arguments: {} }], { runner: runner(queueName), runId: 'tool-timeout' }).catch((e: unknown) => e);
    late.resolve();
    expect(ToolBatchError.isInstance(error) && error.failures.map((f) => [f.id, f.kind, f.message])).toEqual([['s1', 'timeout', 'the tool did not settle within 200 ms']]);
    expect(seen).toEqual(['abort TimeoutError: the tool did not settle within 200 ms']);
    const queue = new Queue(queueName, { connection: { url: redis.url } });
    try {
      const job = await Job.fromId(queue, encodeURIComponent('tool-timeout:s1'));
      expect(JSON.parse(job!.failedReason)).toEqual({ 'xstate-parallel-tools': 1, kind: 'timeout', message: 'the tool did not settle within 200 ms' });
    } finally {
      await queue.close();
    }
  });

  it('reattaches a run started again with the same runId: finished jobs are collected, none is enqueued or run twice', async () => {
    const queueName = freshQueue();
    let runs = 0;
    const count = defineTool({
      name: 'count',
      description: 'Counts its runs',
      parameters: z.object({ n: z.number() }),
      execute: ({ n }) => {
        runs += 1;
        return n * 10;
      },
    });
    await worker(queueName, [count]).ready;
    const batch: ToolCall[] = [1, 2, 3].map((n) => ({ id: `c${n}`, name: 'count', arguments: { n } }));
    const first = await runToolBatch(batch, { runner: runner(queueName), runId: 'run-7' });
    // A new orchestrator (another runner) runs the same batch under the same runId.
    const second = await runToolBatch(batch, { runner: runner(queueName), runId: 'run-7' });
    expect(second).toEqual(first);
    expect(first).toEqual([
      { id: 'c1', result: 10 },
      { id: 'c2', result: 20 },
      { id: 'c3', result: 30 },
    ]);
    expect(runs).toBe(3);
    expect(await queueEvents(queueName, ['added', 'duplicated'])).toEqual([
      'added run-7:c1',
      'added run-7:c2',
      'added run-7:c3',
      'duplicated run-7:c1',
      'duplicated run-7:c2',
      'duplicated run-7:c3',
    ]);
  });

  it('runs a call again under the same runId when the job was cancelled by an earlier run', async () => {
    const queueName = freshQueue();
    const gated = gatedTool();
    await worker(queueName, [gated.tool]).ready;
    const controller = new AbortController();
    const cancelled = runToolBatch(calls('gated', ['x']), { runner: runner(queueName), runId: 'run-8', signal: controller.signal }).catch((error: unknown) => error);
    const first = await gated.started('x');
    controller.abort();
    expect(await cancelled).toBe(controller.signal.reason);
    await new Promise((resolve) => first.signal.addEventListener('abort', resolve, { once: true }));
    // The cancelled job must have ended before a new run can tell it was cancelled.
    const queue = new Queue(queueName, { connection: { url: redis.url } });
    while ((await queue.getJobState(encodeURIComponent('run-8:x'))) !== 'failed') await new Promise((resolve) => setTimeout(resolve, 10));
    await queue.close();
    const again = runToolBatch(calls('gated', ['x']), { runner: runner(queueName), runId: 'run-8' });
    await until(() => gated.log.length === 3);
    gated.release('x');
    expect(await again).toEqual([{ id: 'x', result: { id: 'x' } }]);
    expect(gated.log).toEqual(['start x', 'abort x AbortError', 'start x', 'end x']);
  });

  it('fails a call with an error naming Redis when Redis cannot be reached', async () => {
    const closed = await startTestRedis();
    await closed.close();
    const unreachable = createBullMQRunner({ connection: closed.url, queueName: freshQueue(), redisTimeoutMs: 200 });
    opened.push(unreachable);
    const [result] = await runToolBatch(calls('gated', ['r']), { runner: unreachable, policy: 'settleAll' });
    expect(result!.ok).toBe(false);
    expect(!result!.ok && result!.failure.kind).toBe('error');
    expect(!result!.ok && result!.failure.message).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${closed.port} is unreachable \\(no connection for [0-9.]+ s\\): .*ECONNREFUSED`));
  });
});

describe('cluster-wide limits', () => {
  it('runs a limited tool at most `limit` at once across every worker, and reaches the limit', async () => {
    const queueName = freshQueue();
    const gated = gatedTool();
    await Promise.all([worker(queueName, [gated.tool], { limits: { gated: 2 }, concurrency: 5 }).ready, worker(queueName, [gated.tool], { limits: { gated: 2 }, concurrency: 5 }).ready]);
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const batch = runToolBatch(calls('gated', ids), { runner: runner(queueName, { limits: { gated: 2 } }), concurrency: 6 });
    await Promise.all([gated.started('a'), gated.started('b')]);
    // Each release frees one slot: the next call may start only then.
    for (const [i, id] of ids.entries()) {
      gated.release(id);
      const next = ids[i + 2];
      if (next !== undefined) await gated.started(next);
    }
    expect((await batch).map((output) => output.id)).toEqual(ids);
    let running = 0;
    let peak = 0;
    for (const entry of gated.log) {
      running += entry.startsWith('start') ? 1 : entry.startsWith('end') ? -1 : 0;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2);
    // Two workers take the first two jobs at once, in either order; from then on each start follows an end.
    expect([...gated.log.slice(0, 2)].sort()).toEqual(['start a', 'start b']);
    expect(gated.log.slice(2)).toEqual(['end a', 'start c', 'end b', 'start d', 'end c', 'start e', 'end d', 'start f', 'end e', 'end f']);
    const queue = new Queue(`${queueName}.gated`, { connection: { url: redis.url } });
    expect(await queue.getGlobalConcurrency()).toBe(2);
    await queue.close();
  });

  it('refuses a limited tool on the shared queue when the runner was not given the limits', async () => {
    const queueName = freshQueue();
    const echo = defineTool({ name: 'echo', description: 'Echoes', parameters: z.object({ v: z.number() }), execute: ({ v }) => v });
    await worker(queueName, [echo], { limits: { echo: 1 } }).ready;
    const [result] = await runToolBatch([{ id: 'e', name: 'echo', arguments: { v: 1 } }], { runner: runner(queueName), policy: 'settleAll' });
    expect(!result!.ok && [result!.failure.kind, result!.failure.message]).toEqual([
      'error',
      `the tool "echo" has a cluster-wide limit and is served on the queue "${queueName}.echo": give the runner the same \`limits\` as the workers`,
    ]);
  });
});

describe('option checks', () => {
  it('throws a TypeError naming the option and showing the value', () => {
    expect(() => createBullMQRunner({ connection: 'localhost:6379' })).toThrow(
      new TypeError('Expected `connection` to be a redis:// URL or ioredis options ({ host, port, … }), got `"localhost:6379"` (string)'),
    );
    expect(() => createBullMQRunner({ connection: redis.url, queueName: 'a:b' })).toThrow(
      new TypeError('Expected `queueName` to be 1–100 letters, digits, ".", "_" or "-", got `"a:b"` (string)'),
    );
    expect(() => createBullMQWorker({ connection: redis.url, tools: [], concurrency: 0 })).toThrow(
      new TypeError('Expected `concurrency` to be an integer from 1 up, got `0` (number)'),
    );
    expect(() => createBullMQRunner({ connection: redis.url, limits: { weather: 1.5 } })).toThrow(
      new TypeError('Expected `limits.weather` to be an integer from 1 up, got `1.5` (number)'),
    );
  });
});

describe('examples/bullmq', () => {
  it('runs two calls on a worker and returns their outputs in order', async () => {
    expect(await runExample(redis.url, 'example-run')).toEqual([
      { id: 'call_1', result: { city: 'Oslo', celsius: 12 } },
      { id: 'call_2', result: { city: 'Lima', celsius: 12 } },
    ]);
  });
});

describe('xstate-parallel-tools worker', () => {
  it('serves a tools module from the queue until SIGTERM, then exits 0', async () => {
    const queueName = freshQueue();
    const cli = startChild('src/cli/cli.ts', {}, ['worker', '--tools', 'test/fixtures/bullmq/tools.ts', '--redis', redis.url, '--queue', queueName, '--name', 'cli-1', '--concurrency', '2']);
    expect(await cli.line((line) => line.startsWith('worker cli-1 ready'))).toBe(
      `worker cli-1 ready: gated, echo from queue "${queueName}" on 127.0.0.1:${redis.port}, concurrency 2`,
    );
    const outputs = await runToolBatch(
      [
        { id: 'e1', name: 'echo', arguments: { value: [1, 'two'] } },
        { id: 'e2', name: 'echo', arguments: { value: null } },
      ],
      { runner: runner(queueName) },
    );
    expect(outputs).toEqual([
      { id: 'e1', result: [1, 'two'] },
      { id: 'e2', result: null },
    ]);
    cli.process.kill('SIGTERM');
    await cli.exited;
    expect(cli.process.exitCode).toBe(0);
  });

  /** A loopback TCP server that keeps every socket open, and tells when each one ends. */
  async function holdingServer() {
    const sockets: Socket[] = [];
    const ended: Deferred<void>[] = [];
    const server = createNetServer((socket) => {
      const end = deferred<void>();
      socket.on('close', () => end.resolve());
      socket.on('error', () => {});
      sockets.push(socket);
      ended.push(end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    opened.push({ close: () => new Promise<void>((resolve) => (sockets.forEach((socket) => socket.destroy()), server.close(() => resolve()))) });
    return { port, sockets, ended };
  }

  /** What a stopped worker's process did: its exit code, or `'still running'` once a generous bound passed. */
  async function exitAfterSigterm(cli: ReturnType<typeof startChild>): Promise<number | 'still running'> {
    cli.process.kill('SIGTERM');
    const bound = deferred<'still running'>();
    const timer = setTimeout(() => bound.resolve('still running'), 15_000);
    try {
      return await Promise.race([cli.exited.then(() => cli.process.exitCode ?? -1), bound.promise]);
    } finally {
      clearTimeout(timer);
    }
  }

  const workerArgs = (queueName: string, name: string, extra: string[] = []) => [
    'worker',
    '--tools',
    'test/fixtures/bullmq/socket-tools.ts',
    '--redis',
    redis.url,
    '--queue',
    queueName,
    '--name',
    name,
    ...extra,
  ];

  it('stops on one SIGTERM while its tools module holds an open socket, calling the module\'s close() export, and exits 0', async () => {
    const queueName = freshQueue();
    const held = await holdingServer();
    const cli = startChild('src/cli/cli.ts', { HOLD_PORT: String(held.port), CLOSE_HOOK: 'close' }, workerArgs(queueName, 'held-1'));
    await cli.line((line) => line.startsWith('worker held-1 ready'));
    await until(() => held.sockets.length === 1);
    expect(await runToolBatch([{ id: 'e1', name: 'echo', arguments: { value: 'hi' } }], { runner: runner(queueName) })).toEqual([{ id: 'e1', result: 'hi' }]);
    expect(await exitAfterSigterm(cli)).toBe(0);
    await held.ended[0]!.promise;
    expect(cli.lines.slice(1)).toEqual([
      'worker held-1 stopping: waiting for its running jobs (at most 25000 ms; signal again to stop at once)',
      'tools closed',
      'worker held-1 stopped',
    ]);
  });

  it('stops on one SIGTERM when its tools module holds a socket and exports no close hook', async () => {
    const queueName = freshQueue();
    const held = await holdingServer();
    const cli = startChild('src/cli/cli.ts', { HOLD_PORT: String(held.port) }, workerArgs(queueName, 'held-2'));
    await cli.line((line) => line.startsWith('worker held-2 ready'));
    await until(() => held.sockets.length === 1);
    expect(await exitAfterSigterm(cli)).toBe(0);
    // The process's end closes the socket the module left open.
    await held.ended[0]!.promise;
    expect(cli.lines.at(-1)).toBe('worker held-2 stopped');
  });

  it('abandons a running job that outlasts --grace, calls the module\'s dispose() export and exits 1', async () => {
    const queueName = freshQueue();
    const held = await holdingServer();
    const dir = mkdtempSync(join(tmpdir(), 'xpt-grace-'));
    try {
      const cli = startChild(
        'src/cli/cli.ts',
        { HOLD_PORT: String(held.port), CLOSE_HOOK: 'dispose', SLOW_GATE: join(dir, 'open') },
        workerArgs(queueName, 'held-3', ['--grace', '300']),
      );
      await cli.line((line) => line.startsWith('worker held-3 ready'));
      const batch = runToolBatch([{ id: 's1', name: 'slow', arguments: {} }], { runner: runner(queueName, { redisTimeoutMs: 60_000 }) }).catch((e: unknown) => e);
      await cli.line((line) => line === 'slow started');
      expect(await exitAfterSigterm(cli)).toBe(1);
      await held.ended[0]!.promise;
      expect(cli.lines.slice(2)).toEqual([
        'worker held-3 stopping: waiting for its running jobs (at most 300 ms; signal again to stop at once)',
        'worker held-3 stopped after its running jobs did not finish within 300 ms: its running jobs are abandoned (BullMQ gives them to another worker once their lock expires)',
        'tools closed',
        'worker held-3 stopped',
      ]);
      // The abandoned job is not lost: a new worker takes it once its lock expires. The runner closes the call here.
      await opened[0]!.close();
      expect(await batch).toBeInstanceOf(Error);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with one line when --tools is missing', async () => {
    const cli = startChild('src/cli/cli.ts', {}, ['worker', '--redis', redis.url]);
    await cli.exited;
    expect(cli.process.exitCode).toBe(2);
    expect(cli.lines).toEqual(['xstate-parallel-tools: worker needs --tools <module>']);
  });
});

describe('npm start -- --workers 2', () => {
  it('runs the demo with its tools in two worker processes, with the same conversation, and shows which worker ran each call', async () => {
    const out = mkdtempSync(join(tmpdir(), 'xpt-demo-'));
    try {
      // The demo in this process, for the conversation to compare with.
      let local = '';
      let localProgress = '';
      const code = await cliMain(['--out', join(out, 'local')], {
        stdout: { write: (chunk: string) => (local += chunk) },
        stderr: { write: (chunk: string) => (localProgress += chunk) },
        stdin: (async function* () {})(),
        cwd: out,
        env: {},
      });
      expect(code).toBe(0);
      const demo = startChild('src/cli/cli.ts', { REDIS_URL: redis.url }, ['--workers', '2', '--out', join(out, 'remote')]);
      await demo.exited;
      expect(demo.process.exitCode).toBe(0);
      const settled = /^ {2}(done|failed|timed out|aborted) +call_\d/;
      const settledLines = demo.lines.filter((line) => settled.test(line));
      expect(settledLines).toHaveLength(localProgress.split('\n').filter((line) => settled.test(line)).length);
      for (const line of settledLines) expect(line).toMatch(/ on worker-[12]( |$)/);
      expect(demo.lines.filter((line) => /^worker worker-[12] ready: stat_file, hash_file, count_words, calculate, slow, failing/.test(line))).toHaveLength(2);
      expect(demo.stdout.join('\n')).toBe(local.trimEnd());
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
