/**
 * Embedding the batch machine in your own statechart.
 *
 * `forecastMachine` is a user's machine: it invokes `toolBatchMachine` with
 * its tools provided, writes a reply from the outputs on `onDone`, and goes to
 * its own `toolsFailed` state when the batch's output carries the `failed`
 * tag (`status: 'failed'`). Run it with `npx tsx examples/embed-in-your-machine.ts`.
 *
 * In your project, import from 'xstate-parallel-tools' instead of '../src/index.js'.
 */
import { assign, createActor, setup, toPromise } from 'xstate';
import { z } from 'zod';
import { createToolRouter, defineTool, toolBatchMachine } from '../src/index.js';
import type { ToolBatchOutput, ToolCall, ToolFailure } from '../src/index.js';

const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }, { signal }) => {
    signal.throwIfAborted();
    if (city === 'Atlantis') throw new Error(`no weather station in ${city}`);
    return { city, celsius: city.length * 3 };
  },
});

/** The batch machine with our tools provided as its `runTool` actor. */
const batchWithTools = toolBatchMachine.provide({ actors: { runTool: createToolRouter([weather]).runTool } });

/** What the user's machine ends with. */
export type ForecastOutput = { status: 'answered'; reply: string } | { status: 'toolsFailed'; reply: string; failures: ToolFailure[] };

interface ForecastContext {
  calls: ToolCall[];
  concurrency: number;
  reply: string;
  failures: ToolFailure[];
  failed: boolean;
}

/** Narrows the batch output to its `failed` tag. */
function isFailed(output: ToolBatchOutput): output is Extract<ToolBatchOutput, { status: 'failed' }> {
  return output.status === 'failed';
}

function describeOutputs(output: ToolBatchOutput): string {
  const outputs = 'outputs' in output ? output.outputs : output.results.map((r) => (r.ok ? r.output : undefined));
  return outputs
    .filter((o) => o !== undefined)
    .map((o) => {
      const { city, celsius } = o.result as { city: string; celsius: number };
      return `${city} ${celsius}°C`;
    })
    .join(', ');
}

/**
 * A user's machine that runs one turn of weather look-ups through the batch machine.
 *
 * @example
 * ```ts
 * const actor = createActor(forecastMachine, { input: { cities: ['Oslo', 'Lima'] } }).start();
 * const output = await toPromise(actor); // { status: 'answered', reply: 'Oslo 12°C, Lima 12°C' }
 * ```
 */
export const forecastMachine = setup({
  types: {
    input: {} as { cities: string[]; concurrency?: number },
    context: {} as ForecastContext,
    output: {} as ForecastOutput,
  },
  actors: { toolBatch: batchWithTools },
}).createMachine({
  id: 'forecast',
  context: ({ input }) => ({
    calls: input.cities.map((city, i) => ({ id: `call_${i + 1}`, name: 'weather', arguments: { city } })),
    concurrency: input.concurrency ?? 2,
    reply: '',
    failures: [],
    failed: false,
  }),
  initial: 'runningTools',
  states: {
    runningTools: {
      description: 'The batch machine runs the look-ups, `concurrency` at a time (default 2), and joins them all.',
      invoke: {
        src: 'toolBatch',
        input: ({ context }) => ({ calls: context.calls, options: { concurrency: context.concurrency, policy: 'joinAll', timeoutMs: 5_000 } }),
        onDone: [
          {
            // The output's `failed` tag: every call settled and some failed.
            guard: ({ event }) => isFailed(event.output),
            target: 'toolsFailed',
            actions: assign(({ event }) => {
              const failures = isFailed(event.output) ? event.output.failures : [];
              const got = describeOutputs(event.output);
              return {
                failed: true,
                failures,
                reply: `${failures.length} look-up(s) failed (${failures.map((f) => f.message).join('; ')})${got ? `; got ${got}` : ''}`,
              };
            }),
          },
          { target: 'answered', actions: assign(({ event }) => ({ reply: describeOutputs(event.output) })) },
        ],
        // Bad input (duplicate call ids, a concurrency of 0) makes the batch actor itself fail, before any tool starts.
        onError: {
          target: 'toolsFailed',
          actions: assign(({ event }) => ({ failed: true, reply: `the batch could not start: ${(event.error as Error).message}` })),
        },
      },
    },
    answered: { type: 'final', description: 'Every look-up succeeded.' },
    toolsFailed: { type: 'final', tags: ['failed'], description: 'Some look-ups failed; the reply says which.' },
  },
  output: ({ context }) =>
    context.failed
      ? { status: 'toolsFailed', reply: context.reply, failures: context.failures }
      : { status: 'answered', reply: context.reply },
});

/**
 * Runs `forecastMachine` for some cities and returns its output.
 *
 * @param cities - one weather look-up per city.
 * @example
 * ```ts
 * await forecast(['Oslo', 'Atlantis']); // { status: 'toolsFailed', reply: '1 look-up(s) failed (…)', failures }
 * ```
 */
export function forecast(cities: string[]): Promise<ForecastOutput> {
  return toPromise(createActor(forecastMachine, { input: { cities } }).start());
}

if (process.argv[1]?.endsWith('embed-in-your-machine.ts')) {
  console.log(await forecast(['Oslo', 'Lima', 'Reykjavik']));
  console.log((await forecast(['Oslo', 'Atlantis'])).reply);
}
