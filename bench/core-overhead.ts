/**
 * Orchestration cost per call of the core: K no-op calls at N=16, median of 5
 * runs after a warm-up, through `runToolBatch`, through the raw batch actor,
 * and through the batch actor with the invocation actor written as a child
 * *machine* that invokes a promise (the form the lean ActorLogic replaced).
 * Run with `npm run bench:core [-- --quick]`; prints a markdown table.
 */
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { createActor, fromPromise, sendParent, setup, toPromise } from 'xstate';
import { z } from 'zod';
import { toolBatchMachine } from '../machines/tool-batch.machine.js';
import type { ToolCallInput } from '../machines/tool-call.machine.js';
import { createToolRouter, defineTool } from '../src/runtime/tools.js';
import { runToolBatch } from '../src/runtime/run-tool-batch.js';

const noop = defineTool({ name: 'noop', description: 'does nothing', parameters: z.unknown(), execute: async () => null });
const router = createToolRouter([noop]);
const machine = toolBatchMachine.provide({ actors: { runTool: router.runTool } });

/** The invocation actor as a child machine: two actors per call (machine + promise). */
const toolCallAsMachine = setup({
  types: { input: {} as ToolCallInput, context: {} as ToolCallInput },
  actors: { execute: fromPromise(async () => null as unknown) },
}).createMachine({
  context: ({ input }) => input,
  initial: 'running',
  states: {
    running: {
      invoke: {
        src: 'execute',
        onDone: {
          target: 'succeeded',
          actions: sendParent(({ context, event }) => ({
            type: 'call.succeeded',
            index: context.index,
            output: { id: context.call.id, result: event.output },
          })),
        },
      },
    },
    succeeded: { type: 'final' },
  },
});
const machineWithChildMachines = toolBatchMachine.provide({ actors: { runTool: toolCallAsMachine as never } });

function callsOf(k: number) {
  return Array.from({ length: k }, (_, i) => ({ id: `call-${i}`, name: 'noop', arguments: {} }));
}

type Runner = (k: number) => Promise<unknown>;
const systems: Record<string, Runner> = {
  runToolBatch: (k) => runToolBatch(callsOf(k), { router, concurrency: 16 }),
  'toolBatchMachine actor': (k) =>
    toPromise(createActor(machine, { input: { calls: callsOf(k), options: { concurrency: 16 } } }).start()),
  'same, invocation actor as a child machine': (k) =>
    toPromise(createActor(machineWithChildMachines, { input: { calls: callsOf(k), options: { concurrency: 16 } } }).start()),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const quick = process.argv.includes('--quick');
const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
const rows: string[] = ['| system | K | µs/call (median of 5) | runs (µs/call) |', '|---|---|---|---|'];
for (const [name, run] of Object.entries(systems)) {
  await run(2_000); // warm-up
  const perK: Record<number, number> = {};
  for (const k of sizes) {
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      await run(k);
      runs.push(((performance.now() - t0) * 1000) / k);
    }
    perK[k] = median(runs);
    rows.push(`| ${name} | ${k.toLocaleString('en-US')} | ${perK[k]!.toFixed(1)} | ${runs.map((v) => v.toFixed(1)).join(', ')} |`);
  }
  const last = sizes[sizes.length - 1]!;
  rows.push(`| ${name} | ratio ${last.toLocaleString('en-US')} / 1,000 | ${(perK[last]! / perK[1_000]!).toFixed(2)} | |`);
}
const git = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
console.log(`core overhead, N=16, no-op async tool; node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), commit ${git}\n`);
console.log(rows.join('\n'));
