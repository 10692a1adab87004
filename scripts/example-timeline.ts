/**
 * The example batch behind visualizations/example-timeline.svg: ten calls of
 * four tools, four at a time, with one error and one timeout, run on XState's
 * `SimulatedClock` so that every `at` is the same on every run.
 */
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import type { ToolBatchEmitted } from '../machines/tool-batch.machine.js';
import { runToolBatch } from '../src/runtime/run-tool-batch.js';
import type { ToolCall } from '../src/core/schemas.js';
import { defineTool, type AnyTool } from '../src/runtime/tools.js';

/** One call of the example: which tool, how long it takes on the simulated clock, and whether it throws. */
interface ExampleCall {
  name: string;
  ms: number;
  fails?: boolean;
}

const exampleCalls: ExampleCall[] = [
  { name: 'weather', ms: 120 },
  { name: 'search', ms: 340 },
  { name: 'weather', ms: 80 },
  { name: 'fetch_page', ms: 260 },
  { name: 'fetch_page', ms: 900 }, // runs past the 500 ms timeout
  { name: 'search', ms: 150 },
  { name: 'calculator', ms: 60, fails: true },
  { name: 'search', ms: 410 },
  { name: 'weather', ms: 220 },
  { name: 'calculator', ms: 30 },
];

/** The example's batch options. */
export const exampleOptions = { concurrency: 4, policy: 'settleAll', timeoutMs: 500 } as const;

const step = 10;

function exampleTools(clock: SimulatedClock): AnyTool[] {
  const names = [...new Set(exampleCalls.map((call) => call.name))];
  return names.map((name) =>
    defineTool({
      name,
      description: `example tool ${name}`,
      parameters: z.object({ ms: z.number(), fails: z.boolean().optional() }),
      execute: ({ ms, fails }, { signal }) =>
        new Promise((resolve, reject) => {
          const id = clock.setTimeout(() => (fails ? reject(new Error(`${name} failed`)) : resolve({ ms })), ms);
          signal.addEventListener('abort', () => clock.clearTimeout(id), { once: true });
        }),
    }),
  );
}

/** Lets settled promises and the actors they wake run before the clock moves on. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs the example batch on a simulated clock and returns the events it emitted.
 *
 * @returns every `call.started`, `call.settled` and `batch.settled`, in order; `at` in simulated ms.
 * @example
 * ```ts
 * const events = await exampleTimelineEvents();
 * events.at(-1); // { type: 'batch.settled', status: 'succeeded', at: … }
 * ```
 */
export async function exampleTimelineEvents(): Promise<ToolBatchEmitted[]> {
  const clock = new SimulatedClock();
  const events: ToolBatchEmitted[] = [];
  const calls: ToolCall[] = exampleCalls.map(({ name, ms, fails }, i) => ({
    id: `call_${i + 1}`,
    name,
    arguments: fails ? { ms, fails } : { ms },
  }));
  let finished = false;
  const done = runToolBatch(calls, { tools: exampleTools(clock), ...exampleOptions, clock, onEvent: (event) => events.push(event) }).finally(
    () => {
      finished = true;
    },
  );
  await settle();
  // Bounded: every call ends by the timeout, so the batch ends within calls × timeout.
  for (let t = 0; !finished && t <= exampleCalls.length * exampleOptions.timeoutMs; t += step) {
    clock.increment(step);
    await settle();
  }
  await done;
  return events;
}
