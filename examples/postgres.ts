/**
 * A durable run in PostgreSQL: the batch checkpoints into the database you
 * already run, one row per run, so that a run started again with the same
 * `runId` (in this process or another) resumes instead of starting over.
 * Run it with `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx examples/postgres.ts`.
 */
import pg from 'pg';
import { z } from 'zod';
import { defineTool, runToolBatch, type ToolCall, type ToolOutput } from 'xstate-parallel-tools';
import { createPostgresStore, type PostgresRunInfo } from 'xstate-parallel-tools/postgres';

const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: city.length * 3 }),
});

/**
 * Runs two calls as a durable batch, lists the finished runs, and expires those older than a week.
 *
 * @param connectionString - the database.
 * @param schema - where the store's tables go.
 * @returns the outputs, and the finished runs as the operator sees them.
 */
export async function main(
  connectionString = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  schema = 'agents',
): Promise<{ outputs: ToolOutput[]; finished: PostgresRunInfo[] }> {
  const calls: ToolCall[] = [
    { id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } },
    { id: 'call_2', name: 'weather', arguments: { city: 'Lima' } },
  ];

  // #region readme
  const pool = new pg.Pool({ connectionString });
  // Makes its two tables in `schema` on first use.
  const store = createPostgresStore({ pool, schema });
  try {
    // Checkpointed after every settlement; started again with the same runId, it resumes.
    const outputs = await runToolBatch(calls, { tools: [weather], store, runId: 'weather-1' });

    // What an operator does: list runs, delete one, expire the finished ones.
    const finished = await store.list({ status: 'finished' });
    await store.expire({ olderThanMs: 7 * 24 * 60 * 60 * 1000 });
    return { outputs, finished };
  } finally {
    await pool.end();
  }
  // #endregion readme
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
