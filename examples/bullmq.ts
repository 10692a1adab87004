/**
 * Tool calls run as BullMQ jobs on workers, through Redis: the batch is the
 * same, only where the calls run changes.
 *
 * The worker runs in this process so that the example runs anywhere with a
 * Redis; in production it runs on the machines that should run the tools
 * (`xstate-parallel-tools worker --tools ./tools.js`), as many as you like.
 * Run it with `REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/bullmq.ts`.
 */
import { z } from 'zod';
import { defineTool, runToolBatch, type ToolCall, type ToolOutput } from 'xstate-parallel-tools';
import { createBullMQRunner, createBullMQWorker } from 'xstate-parallel-tools/bullmq';

const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }, { signal }) => {
    signal.throwIfAborted();
    return { city, celsius: city.length * 3 };
  },
});

/**
 * Serves the tool from a worker and runs two calls on it as one batch.
 *
 * @param redisUrl - the Redis to use.
 * @param runId - the run's id: a run started again with the same id collects its jobs instead of enqueueing them twice.
 * @returns the outputs, in call order.
 */
export async function main(redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', runId = `weather-${Date.now()}`): Promise<ToolOutput[]> {
  const calls: ToolCall[] = [
    { id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } },
    { id: 'call_2', name: 'weather', arguments: { city: 'Lima' } },
  ];

  // #region readme
  // Where the tools run (any number of processes, each with its own concurrency):
  const worker = createBullMQWorker({ connection: redisUrl, tools: [weather], concurrency: 8 });
  await worker.ready;

  // Where the batch runs: each call becomes one job, whose id comes from runId and the call's id.
  const runner = createBullMQRunner({ connection: redisUrl });
  try {
    return await runToolBatch(calls, { runner, runId, concurrency: 2, timeoutMs: 10_000 });
  } finally {
    await runner.close();
    await worker.close();
  }
  // #endregion readme
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
