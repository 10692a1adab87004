/**
 * The demo job behind `npm start`: an agent on a model (the embedded scripted
 * one by default) with the demo tools, live progress on stderr, the
 * conversation on stdout, and one timeline SVG per batch. Approvals are
 * answered as `approve` says; with a `runId` the run is checkpointed under
 * `<outDir>/runs/`, and started again with the same id it resumes.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { ToolBatchEmitted } from '../../../machines/tool-batch.machine.js';
import { runAgent } from '../../runtime/agent.js';
import { createFileStore } from '../../runtime/run-store.js';
import type { ChatModel } from '../../models/chat-model.js';
import { createProgressView, type ProgressStream } from '../../view/progress.js';
import type { JoinPolicy } from '../../core/schemas.js';
import { renderTimeline } from '../../view/timeline.js';
import { formatConversation } from './conversation.js';
import { approvalsLine, createDemoApprover, type DemoApprovals } from './approvals.js';
import { checkpointLine } from './checkpoint-line.js';
import { saveOnSignal, trackSaves } from './save-on-signal.js';
import { createInspectionLog } from './inspect-log.js';
import { demoMessages } from './script.js';
import { createDemoTools } from './tools.js';

/** Where the demo writes, and its working directory: the process's, or fakes in tests. */
export interface DemoIo {
  stdout: { write(chunk: string): unknown };
  stderr: ProgressStream;
  /** Relative `--out` and `--inspect` paths resolve against it. */
  cwd: string;
  /** For elapsed times in the progress view. Default: `performance.now`. */
  now?: () => number;
}

/** What the demo runs with; the CLI fills it from its flags. */
export interface DemoOptions {
  model: ChatModel;
  concurrency: number;
  policy: JoinPolicy;
  /** Per-call timeout in ms. */
  timeoutMs: number;
  /** Where the timelines go (`timeline-<n>.svg`, n from 1 per batch). */
  outDir: string;
  /** A file for XState inspection events as JSON lines. Default: none. */
  inspectFile?: string;
  /** Tools' file root. Default: this repository. */
  root?: string;
  /** Run the tools in this many worker processes through Redis (see workers.ts). Default: in this process. */
  workers?: number;
  /** `REDIS_URL` is read from it (with `workers`). Default: `process.env`. */
  env?: Record<string, string | undefined>;
  /** How approvals are decided. Default: every one approved, said as the default for a stdin that is not a terminal. */
  approve?: DemoApprovals;
  /** Checkpoint the run as `<outDir>/runs/<runId>.json`; a checkpoint already there is resumed. Default: none. */
  runId?: string;
  /** Print the run's span tree on stderr at its end (trace-tree.ts). Default: `false`. */
  trace?: boolean;
}

interface BatchRecord {
  step: number;
  /** The batch's size; unknown for a batch resumed from a checkpoint (it started before). */
  calls?: number;
  events: ToolBatchEmitted[];
}

function timelineTitle(batch: BatchRecord, options: DemoOptions): string {
  const limit = options.concurrency === Infinity ? 'no limit' : `concurrency ${options.concurrency}`;
  const size = batch.calls === undefined ? 'resumed' : `${batch.calls} tool calls`;
  return `Step ${batch.step}: ${size} · ${limit} · ${options.policy} · timeout ${options.timeoutMs} ms`;
}

/**
 * Runs the demo agent to its end.
 *
 * @param options - the model, batch options, `outDir`, `inspectFile`.
 * @param io - `stdout` (the conversation), `stderr` (progress, written files), `cwd`, `now`.
 * @returns the exit code: 0 when the agent is done, 1 when it failed or hit its step limit.
 * @example
 * ```ts
 * const code = await runDemo(
 *   { model: createScriptedModel(demoScript), concurrency: 3, policy: 'settleAll', timeoutMs: 1000, outDir: 'out' },
 *   { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() },
 * );
 * ```
 */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<number> {
  const tools = createDemoTools(options.root === undefined ? {} : { root: options.root });
  const attempts = Object.fromEntries(tools.flatMap((tool) => (tool.retry ? [[tool.name, tool.retry.attempts]] : [])));
  const view = createProgressView({ stream: io.stderr, attempts, ...(io.now ? { now: io.now } : {}) });
  const ticker = io.stderr.isTTY ? setInterval(() => view.render(), 100) : undefined;
  const batches: BatchRecord[] = [];
  const outDir = resolve(io.cwd, options.outDir);
  const shown = (file: string): string => (relative(io.cwd, file).startsWith('..') ? file : relative(io.cwd, file));
  let inspectFd: number | undefined;
  if (options.inspectFile !== undefined) {
    const file = resolve(io.cwd, options.inspectFile);
    mkdirSync(dirname(file), { recursive: true });
    inspectFd = openSync(file, 'w');
  }
  const fd = inspectFd;
  let remote: import('./workers.js').DemoWorkers | undefined;
  let stopSaving: (() => void) | undefined;
  try {
    io.stderr.write(`model ${options.model.name}\n`);
    io.stderr.write(`${approvalsLine(options.approve)}\n`);
    const durable = options.runId === undefined ? undefined : { runId: options.runId, store: trackSaves(createFileStore(join(outDir, 'runs'))) };
    if (durable) stopSaving = saveOnSignal(durable.store, durable.runId, (line) => io.stderr.write(`\n${line}\n`));
    const saved = durable && (await durable.store.load(durable.runId));
    if (durable && saved) io.stderr.write(`${checkpointLine(durable.runId, shown(join(outDir, 'runs', `${durable.runId.replaceAll(':', '_')}.json`)), saved)}\n`);
    if (options.workers !== undefined) {
      // Loaded only here: bullmq is an optional peer, and the plain demo needs none.
      const { startDemoWorkers } = await import('./workers.js');
      remote = await startDemoWorkers({ workers: options.workers, env: options.env ?? process.env, log: (line) => io.stderr.write(`${line}\n`) });
    }
    // Loaded only here: the OpenTelemetry SDK is for --trace alone.
    const tracing = options.trace === true ? await (await import('./trace-tree.js')).startDemoTracing() : undefined;
    const output = await (tracing?.run ?? runAgent)({
      model: options.model,
      ...(remote ? { router: remote.router } : { tools }),
      messages: demoMessages,
      concurrency: options.concurrency,
      policy: options.policy,
      timeoutMs: options.timeoutMs,
      approve: createDemoApprover(options.approve ?? 'all', view),
      ...durable,
      ...(fd === undefined ? {} : { inspect: createInspectionLog((line) => writeSync(fd, line)) }),
      onEvent: (event) => {
        view.handle(event);
        if (event.type === 'batch.started') batches.push({ step: event.step, calls: event.calls.length, events: [] });
        else if (event.type.startsWith('call.') || event.type === 'batch.settled') {
          // A resumed run goes on with a batch that started before: no batch.started.
          if (batches.length === 0 && 'step' in event) batches.push({ step: event.step, events: [] });
          batches.at(-1)?.events.push(event as ToolBatchEmitted);
        }
      },
    });
    if (ticker !== undefined) clearInterval(ticker);
    mkdirSync(outDir, { recursive: true });
    batches.forEach((batch, i) => {
      const file = join(outDir, `timeline-${i + 1}.svg`);
      writeFileSync(file, renderTimeline(batch.events, { title: timelineTitle(batch, options) }));
      io.stderr.write(`wrote ${shown(file)}\n`);
    });
    if (options.inspectFile !== undefined) io.stderr.write(`wrote ${options.inspectFile}\n`);
    if (tracing !== undefined) io.stderr.write(`trace\n${tracing.print()}`);
    io.stdout.write(formatConversation(output.messages));
    if (output.status === 'done') return 0;
    const why = output.error ? `: ${output.error.message}` : '';
    io.stderr.write(`xstate-parallel-tools: the agent ended ${output.status === 'failed' ? 'with a failure' : 'at its step limit'}${why}\n`);
    return 1;
  } finally {
    stopSaving?.();
    if (ticker !== undefined) clearInterval(ticker);
    if (inspectFd !== undefined) closeSync(inspectFd);
    await remote?.stop();
  }
}
