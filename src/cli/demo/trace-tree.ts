/**
 * `--trace`: the demo run's OpenTelemetry spans, printed as a person reads
 * them: an indented tree with durations. The spans come from `traceAgent`
 * (xstate-parallel-tools/otel) into the SDK's in-memory exporter; the SDK is
 * loaded only with the flag, so the plain demo needs none of it.
 */
import type { RunAgentOptions } from '../../runtime/agent.js';
import type { AgentRunResult } from '../../runtime/agent-run.js';

/** A finished span, as the printer needs it (the SDK's `ReadableSpan` is one). */
export interface PrintedSpan {
  readonly name: string;
  spanContext(): { spanId: string };
  readonly parentSpanContext?: { spanId: string } | undefined;
  /** `[seconds, nanoseconds]`. */
  readonly startTime: readonly [number, number];
  readonly duration: readonly [number, number];
  readonly status: { code: number; message?: string | undefined };
  readonly attributes: Readonly<Record<string, unknown>>;
}

const ms = (time: readonly [number, number]): number => time[0] * 1000 + time[1] / 1e6;

/** What a span's line shows besides its name: the call id, attempt, lane and queued time, the batch's size and policy, the status. */
function detailsOf(span: PrintedSpan): string {
  const a = span.attributes;
  const parts: string[] = [];
  if (a['gen_ai.tool.call.id'] !== undefined && !span.name.startsWith('await_approval')) parts.push(String(a['gen_ai.tool.call.id']));
  const attempt = a['xstate_parallel_tools.call.attempt'];
  if (typeof attempt === 'number' && attempt > 1) parts.push(`attempt ${attempt}`);
  if (a['xstate_parallel_tools.call.lane'] !== undefined) parts.push(`lane ${String(a['xstate_parallel_tools.call.lane'])}`);
  const queued = a['xstate_parallel_tools.call.queued_ms'];
  if (typeof queued === 'number' && queued >= 1) parts.push(`queued ${queued.toFixed(0)} ms`);
  if (a['xstate_parallel_tools.batch.size'] !== undefined) parts.push(`${String(a['xstate_parallel_tools.batch.size'])} calls, ${String(a['xstate_parallel_tools.batch.policy'])}`);
  if (a['xstate_parallel_tools.step'] !== undefined) parts.push(`step ${String(a['xstate_parallel_tools.step'])}`);
  if (a['xstate_parallel_tools.approval.decision'] !== undefined) parts.push(String(a['xstate_parallel_tools.approval.decision']));
  if (span.status.code === 2) parts.push(`ERROR ${a['error.type'] === undefined ? '' : `${String(a['error.type'])}: `}${span.status.message ?? ''}`.trimEnd());
  return parts.join(', ');
}

/**
 * Prints spans as indented trees, children in start order, each line with its duration.
 *
 * @param spans - finished spans.
 * @returns the text, one span per line.
 * @example
 * ```ts
 * process.stderr.write(renderSpanTree(exporter.getFinishedSpans()));
 * ```
 */
export function renderSpanTree(spans: readonly PrintedSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  // Spans of one instant (the clock is coarser than a step) in call order, then attempt order.
  const callOrder = (span: PrintedSpan): number =>
    Number(span.attributes['xstate_parallel_tools.call.index'] ?? 0) * 1000 + Number(span.attributes['xstate_parallel_tools.call.attempt'] ?? 0);
  const byStart = [...spans].sort((a, b) => ms(a.startTime) - ms(b.startTime) || callOrder(a) - callOrder(b));
  const childrenOf = (span: PrintedSpan): PrintedSpan[] => byStart.filter((child) => child.parentSpanContext?.spanId === span.spanContext().spanId);
  const rows: Array<[string, string]> = [];
  const walk = (span: PrintedSpan, lead: string, branch: string): void => {
    const details = detailsOf(span);
    rows.push([`${lead}${branch}${span.name}${details === '' ? '' : `  (${details})`}`, `${ms(span.duration).toFixed(1)} ms`]);
    const children = childrenOf(span);
    const under = lead + (branch === '' ? '' : branch === '├─ ' ? '│  ' : '   ');
    children.forEach((child, i) => walk(child, under, i === children.length - 1 ? '└─ ' : '├─ '));
  };
  for (const root of byStart.filter((span) => span.parentSpanContext === undefined || !ids.has(span.parentSpanContext.spanId))) walk(root, '', '');
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${left.padEnd(width)}  ${right.padStart(9)}\n`).join('');
}

/** The demo's tracing: `run` in place of `runAgent`, then `print()` the spans. */
export interface DemoTracing {
  run(options: RunAgentOptions): Promise<AgentRunResult>;
  print(): string;
}

/**
 * Loads the OpenTelemetry SDK and makes a provider with an in-memory exporter for the demo run.
 *
 * @returns the demo's tracing.
 * @throws `Error` naming the packages when the SDK is not installed.
 */
export async function startDemoTracing(): Promise<DemoTracing> {
  let modules;
  try {
    modules = await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/context-async-hooks'),
      import('../../adapters/otel/index.js'),
    ]);
  } catch (error) {
    throw new Error(`--trace needs @opentelemetry/api, @opentelemetry/sdk-trace-base and @opentelemetry/context-async-hooks: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const [api, sdk, hooks, otel] = modules;
  // Spans follow the tool's async work only with a context manager; one that is already there is kept.
  api.context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  const exporter = new sdk.InMemorySpanExporter();
  const tracerProvider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] });
  return {
    run: (options) => otel.traceAgent({ ...options, tracerProvider }),
    print: () => renderSpanTree(exporter.getFinishedSpans()),
  };
}
