/**
 * Our batch against the floor of "one XState actor per call", interleaved in
 * one process, so that the machine's noise hits both alike.
 *
 * - floor: a one-state machine that spawns a trivial ActorLogic per call
 *   (inside `assign`; it reports to its parent a microtask after it starts)
 *   and `stopChild`s it on the report, N=16, nothing else;
 * - floorActions: the same with XState's `spawnChild` action, as the issue
 *   words the floor; it costs more than `assign`'s spawn;
 * - toolBatchMachine: the batch actor with a no-op async tool, N=16;
 * - runToolBatch: the promise API over the same.
 *
 * Reports µs per call at K=10,000 and µs per batch at K=10 (many batches),
 * median of interleaved rounds (the order of the systems rotates each round),
 * the ratio to the floor (of the medians, and the median of each round's
 * ratio), the same in CPU time (user + system: the machine's other processes
 * do not count, its GC threads do), and allocation per call (bytes allocated while the run ran, from
 * V8's GC records). Each measurement starts on a collected heap and ends
 * with a full collection inside its timing, so each system pays for the
 * garbage it made, and for nobody else's.
 *
 * Run with `npm run bench:floor [-- --rounds 9]` (on the newest LTS Node.js,
 * bench/package.json's `node`). `XPT_ROOT` points it at
 * another checkout of the library (to measure a commit before a change).
 */
import { cpus } from 'node:os';
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createActor, enqueueActions, setup, spawnChild, stopChild, assign, toPromise, type ActorLogic, type AnyActorRef, type EventObject, type Snapshot } from 'xstate';
import { z } from 'zod';

const root = process.env.XPT_ROOT ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { toolBatchMachine } = (await import(`${root}/machines/tool-batch.machine.ts`)) as typeof import('../machines/tool-batch.machine.js');
const toolsModule = (await import(`${root}/src/runtime/tools.ts`).catch(() => import(`${root}/src/tools.ts`))) as typeof import('../src/runtime/tools.js');
const batchModule = (await import(`${root}/src/runtime/run-tool-batch.ts`).catch(() => import(`${root}/src/run-tool-batch.ts`))) as typeof import('../src/runtime/run-tool-batch.js');

const noop = toolsModule.defineTool({ name: 'noop', description: 'does nothing', parameters: z.unknown(), execute: async () => null });
const router = toolsModule.createToolRouter([noop]);
const machine = toolBatchMachine.provide({ actors: { runTool: router.runTool } });

type Done = { type: 'done'; lane: number };

/** The trivial child: reports `done` to its parent a microtask after it starts, as a resolved tool would. */
const trivial: ActorLogic<Snapshot<undefined> & { lane: number }, EventObject, { lane: number }> = {
  transition: (snapshot) => snapshot,
  getInitialSnapshot: (_scope, input) => ({ status: 'active', output: undefined, error: undefined, lane: input.lane }),
  start: (snapshot, { self }) => {
    const parent = (self as AnyActorRef & { _parent?: AnyActorRef })._parent;
    queueMicrotask(() => parent?.send({ type: 'done', lane: snapshot.lane } satisfies Done));
  },
  getPersistedSnapshot: (snapshot) => snapshot,
};

/** The floor: spawn per call on a lane, stop on the report, refill the lane; nothing else. */
const floorMachine = setup({
  types: { input: {} as { calls: number; concurrency: number }, context: {} as { next: number; total: number; settled: number }, events: {} as Done },
  actors: { trivial },
}).createMachine({
  context: ({ input }) => ({ next: 0, total: input.calls, settled: 0 }),
  entry: assign(({ context, spawn }) => {
    let next = context.next;
    for (let lane = 0; lane < 16 && next < context.total; lane++, next++) spawn('trivial', { id: String(lane), input: { lane } });
    return { next };
  }),
  initial: 'running',
  states: {
    running: {
      always: { guard: ({ context }) => context.settled === context.total, target: 'done' },
      on: {
        done: {
          actions: [
            stopChild(({ event }) => String(event.lane)),
            assign(({ context, event, spawn }) => {
              if (context.next < context.total) spawn('trivial', { id: String(event.lane), input: { lane: event.lane } });
              return { next: Math.min(context.next + 1, context.total), settled: context.settled + 1 };
            }),
          ],
        },
      },
    },
    done: { type: 'final' },
  },
});

/**
 * The floor as the issue names it: the same, with XState's `spawnChild` and
 * `stopChild` actions (the first admissions from one `enqueueActions`).
 * `floor` above spawns inside `assign`, which costs less than the action: it
 * is the stricter of the two.
 */
const floorActionsMachine = setup({
  types: { input: {} as { calls: number; concurrency: number }, context: {} as { next: number; total: number; settled: number }, events: {} as Done },
  actors: { trivial },
  guards: { hasQueued: ({ context }) => context.next < context.total },
}).createMachine({
  context: ({ input }) => ({ next: 0, total: input.calls, settled: 0 }),
  entry: enqueueActions(({ context, enqueue }) => {
    let next = context.next;
    for (let lane = 0; lane < 16 && next < context.total; lane++, next++) enqueue.spawnChild('trivial', { id: String(lane), input: { lane } });
    enqueue.assign({ next });
  }),
  initial: 'running',
  states: {
    running: {
      always: { guard: ({ context }) => context.settled === context.total, target: 'done' },
      on: {
        done: [
          {
            guard: 'hasQueued',
            actions: [
              stopChild(({ event }) => String(event.lane)),
              spawnChild('trivial', { id: ({ event }) => String((event as Done).lane), input: ({ event }) => ({ lane: (event as Done).lane }) }),
              assign(({ context }) => ({ next: context.next + 1, settled: context.settled + 1 })),
            ],
          },
          { actions: [stopChild(({ event }) => String(event.lane)), assign(({ context }) => ({ settled: context.settled + 1 }))] },
        ],
      },
    },
    done: { type: 'final' },
  },
});

function callsOf(k: number) {
  return Array.from({ length: k }, (_, i) => ({ id: `call-${i}`, name: 'noop', arguments: {} }));
}

type System = (k: number) => Promise<unknown>;
const systems: Record<string, System> = {
  floor: (k) => toPromise(createActor(floorMachine, { input: { calls: k, concurrency: 16 } }).start()),
  floorActions: (k) => toPromise(createActor(floorActionsMachine, { input: { calls: k, concurrency: 16 } }).start()),
  toolBatchMachine: (k) => toPromise(createActor(machine, { input: { calls: callsOf(k), options: { concurrency: 16 } } }).start()),
  runToolBatch: (k) => batchModule.runToolBatch(callsOf(k), { router, concurrency: 16 }),
};

setFlagsFromString('--expose-gc');
/** A full collection: before a measurement (untimed), so that it starts on a clean heap, and at its end (timed). */
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs `batches` batches of `k` calls one after another; returns µs per batch (wall and CPU) and bytes allocated per call. */
async function measure(system: System, k: number, batches: number): Promise<{ us: number; cpuUs: number; bytesPerCall: number }> {
  collectGarbage();
  const profiler = new GCProfiler();
  const before = process.memoryUsage().heapUsed;
  profiler.start();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let b = 0; b < batches; b++) await system(k);
  // Inside the timing: each system pays for collecting all the garbage it made, what it kept until the end included.
  collectGarbage();
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = process.memoryUsage().heapUsed;
  const { statistics } = profiler.stop();
  // Allocated = what the heap grew by between collections, plus what it grew by since the last one.
  let allocated = 0;
  let base = before;
  for (const gc of statistics) {
    allocated += gc.beforeGC.heapStatistics.usedHeapSize - base;
    base = gc.afterGC.heapStatistics.usedHeapSize;
  }
  allocated += after - base;
  return { us: (elapsed * 1000) / batches, cpuUs: (cpu.user + cpu.system) / batches, bytesPerCall: allocated / (batches * k) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg === -1 ? 9 : Number(process.argv[roundsArg + 1]);
const shapes = [
  { label: 'K=10 (per batch)', k: 10, batches: 2_000, unit: 'µs/batch' },
  { label: 'K=10,000 (per call)', k: 10_000, batches: 3, unit: 'µs/call' },
];
for (const system of Object.values(systems)) await system(2_000); // warm-up
const results: Record<string, Record<string, { us: number[]; cpu: number[]; bytes: number[] }>> = {};
for (let round = 0; round < rounds; round++) {
  for (const shape of shapes) {
    // The order rotates each round: the system that runs right after another pays for the garbage the other left.
    const entries = Object.entries(systems);
    const order = entries.map((_, i) => entries[(i + round) % entries.length]!);
    for (const [name, system] of order) {
      const { us, cpuUs, bytesPerCall } = await measure(system, shape.k, shape.batches);
      const cell = ((results[shape.label] ??= {})[name] ??= { us: [], cpu: [], bytes: [] });
      cell.us.push(shape.k === 10 ? us : us / shape.k);
      cell.cpu.push(shape.k === 10 ? cpuUs : cpuUs / shape.k);
      cell.bytes.push(bytesPerCall);
    }
  }
}
console.log(`floor comparison, N=16, no-op async tool, ${rounds} interleaved rounds; node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), library at ${root}\n`);
console.log('| shape | system | median | ratio to floor | per-round ratio | ratio to floorActions | per-round ratio | CPU median | CPU ratio to floor | to floorActions | KB allocated per call | runs |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const shape of shapes) {
  const cells = results[shape.label]!;
  for (const [name, cell] of Object.entries(cells)) {
    const value = median(cell.us);
    // CPU time (user + system, this process's threads): what the other processes on a shared machine take is left out.
    const cpuValue = median(cell.cpu);
    // Each round runs the systems back to back, so a round's ratio sees the same machine load on both sides.
    const ratios = (base: number[]): string =>
      `${(value / median(base)).toFixed(2)} | ${median(cell.us.map((us, round) => us / base[round]!)).toFixed(2)}`;
    console.log(
      `| ${shape.label} | ${name} | ${value.toFixed(1)} ${shape.unit} | ${ratios(cells.floor!.us)} | ${ratios(cells.floorActions!.us)} | ${cpuValue.toFixed(1)} | ${(cpuValue / median(cells.floor!.cpu)).toFixed(2)} | ${(cpuValue / median(cells.floorActions!.cpu)).toFixed(2)} | ${(median(cell.bytes) / 1024).toFixed(2)} | ${cell.us.map((v) => v.toFixed(1)).join(', ')} |`,
    );
  }
}
