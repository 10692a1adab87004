/**
 * What the BullMQ fault tests share: a temporary folder with the tool log and
 * the gates, the worker and orchestrator processes of test/fixtures/bullmq/,
 * and reading BullMQ's event stream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ToolCall } from '../../../src/index.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.js';
import { stopAll } from './processes.js';
import type { ToolLogEntry } from '../../fixtures/bullmq/tools.js';
import { readToolLog, startChild, type Child } from './processes.js';

/** One test's scratch space: a queue of its own, the tool log, the gates. */
export interface Scene {
  readonly queueName: string;
  readonly redisUrl: string;
  /** The tool log so far. */
  log(): ToolLogEntry[];
  /** Lets the gated call `id` end. */
  release(...ids: string[]): void;
  /** Starts a worker process and resolves once it takes jobs. */
  worker(name: string, env?: Record<string, string>): Promise<Child>;
  /** Starts an orchestrator process running `calls` under `runId` (with `store`, checkpointing to the Redis store). */
  orchestrator(calls: ToolCall[], runId: string, concurrency: number, store?: 'redis'): Child;
  /** Removes the folder. */
  dispose(): void;
}

/**
 * Makes a scene on a Redis.
 *
 * @param redisUrl - the test's Redis.
 * @returns the scene.
 */
export function createScene(redisUrl: string): Scene {
  const dir = mkdtempSync(join(tmpdir(), 'xpt-bullmq-'));
  const logFile = join(dir, 'tools.log');
  const queueName = `fault-${randomUUID().slice(0, 8)}`;
  const env = { REDIS_URL: redisUrl, QUEUE: queueName, TOOL_LOG: logFile, GATE_DIR: dir };
  return {
    queueName,
    redisUrl,
    log: () => readToolLog<ToolLogEntry>(logFile),
    release: (...ids) => ids.forEach((id) => writeFileSync(join(dir, id), '')),
    async worker(name, extra = {}) {
      const child = startChild('test/fixtures/bullmq/worker.ts', { ...env, WORKER_NAME: name, ...extra });
      await child.line((line) => line === 'ready');
      return child;
    },
    orchestrator: (calls, runId, concurrency, store) =>
      startChild('test/fixtures/bullmq/orchestrator.ts', {
        ...env,
        CALLS: JSON.stringify(calls),
        RUN_ID: runId,
        CONCURRENCY: String(concurrency),
        ...(store === undefined ? {} : { STORE: store }),
      }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `count` gated calls `<prefix>0`…, or with the ids given. */
export function gatedCalls(ids: string[], failing: string[] = []): ToolCall[] {
  return ids.map((id) => ({ id, name: 'gated', arguments: failing.includes(id) ? { id, fail: true } : { id } }));
}

/** BullMQ's events of a queue, as `event jobId` with the job id decoded back to the idempotency key. */
export async function queueEvents(redisUrl: string, queueName: string, types: string[]): Promise<string[]> {
  const client = new Redis(redisUrl);
  try {
    const entries = (await client.xrange(`bull:${queueName}:events`, '-', '+')) as Array<[string, string[]]>;
    const out: string[] = [];
    for (const [, fields] of entries) {
      const event: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) event[fields[i]!] = fields[i + 1]!;
      if (types.includes(event.event!)) out.push(`${event.event} ${decodeURIComponent(event.jobId!)}`);
    }
    return out;
  } finally {
    client.disconnect();
  }
}

/** The redis-server of a test file, and the scenes its tests make. */
export interface SceneHarness {
  /** The file's own redis-server (started before its first test). */
  readonly redis: TestRedis;
  /** A new scene on that server; disposed after the test, with every process it started. */
  scene(): Scene;
}

/**
 * Starts one redis-server for the calling test file, and after each test stops
 * every worker and orchestrator process and disposes of the test's scene.
 *
 * @example
 * ```ts
 * const harness = useScenes();
 * it('…', async () => { const scene = harness.scene(); await scene.worker('A'); });
 * ```
 */
export function useScenes(): SceneHarness {
  let redis: TestRedis | undefined;
  let current: Scene | undefined;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterEach(async () => {
    await stopAll();
    current?.dispose();
    current = undefined;
  });
  afterAll(async () => {
    await redis?.close();
  });
  return {
    get redis() {
      if (redis === undefined) throw new Error('the test redis-server is not started yet');
      return redis;
    },
    scene() {
      current = createScene(this.redis.url);
      return current;
    },
  };
}
