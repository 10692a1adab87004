/**
 * `traceToolBatch` and `traceAgent`: `runToolBatch` and `runAgent` with
 * OpenTelemetry spans, children of the caller's active context.
 *
 * Both go through the library's public hooks only: `onEvent` (composed
 * with yours) and the invocation actor (`runner`), wrapped so that each
 * attempt's span is active while its tool runs. When the first span is not
 * recording (no tracer provider is registered, or the trace is sampled out)
 * they call `runToolBatch` / `runAgent` as they are, with no hook at all.
 */
import { context as contextApi, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type TracerProvider } from '@opentelemetry/api';
import {
  runAgent,
  runToolBatch,
  type AgentLoopEmitted,
  type AgentRunResult,
  type AnyTool,
  type RunAgentOptions,
  type RunToolBatchOptions,
  type SettledResult,
  type ToolBatchEmitted,
  type ToolCall,
  type ToolOutput,
} from '../../index.js';
import { checkRunToolBatchOptions } from '../../runtime/run-tool-batch.js';
import { routerFrom, type ToolSource } from '../../runtime/tools.js';
import { keys, spanNames, tracerName } from './attributes.js';
import { CallSpans } from './call-spans.js';

/** Where spans go. */
export interface TracingOptions {
  /** The provider whose tracer makes the spans. Default: the global one (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
}

function tracerOf(options: TracingOptions) {
  return (options.tracerProvider ?? trace.getTracerProvider()).getTracer(tracerName);
}

function descriptionsOf(tools: unknown): Map<string, string> {
  const descriptions = new Map<string, string>();
  if (Array.isArray(tools)) for (const tool of tools as AnyTool[]) if (typeof tool?.description === 'string') descriptions.set(tool.name, tool.description);
  return descriptions;
}

/** Ends `span` with the error as its status. */
function endWithError(span: Span, error: unknown): void {
  span.setAttribute(keys.errorType, error instanceof Error ? error.name : typeof error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

/**
 * Runs one turn's tool calls as `runToolBatch` does, as a `tool_batch` span
 * with an `execute_tool {tool}` span per attempt of each call.
 *
 * @param calls - the calls, as `runToolBatch` takes them.
 * @param options - `runToolBatch`'s options, and `tracerProvider`.
 * @returns what `runToolBatch` returns.
 * @example
 * ```ts
 * const outputs = await traceToolBatch(calls, { tools: [weather], concurrency: 4 });
 * ```
 */
export function traceToolBatch(calls: readonly ToolCall[], options: RunToolBatchOptions & TracingOptions & { policy: 'settleAll' }): Promise<SettledResult[]>;
export function traceToolBatch(calls: readonly ToolCall[], options: RunToolBatchOptions & TracingOptions & { policy?: 'joinAll' | 'failFast' }): Promise<ToolOutput[]>;
export function traceToolBatch(calls: readonly ToolCall[], options: RunToolBatchOptions & TracingOptions): Promise<ToolOutput[] | SettledResult[]>;
export function traceToolBatch(calls: readonly ToolCall[], options: RunToolBatchOptions & TracingOptions): Promise<ToolOutput[] | SettledResult[]> {
  const { tracerProvider, ...batchOptions } = options;
  const tracer = tracerOf({ ...(tracerProvider === undefined ? {} : { tracerProvider }) });
  const parent = contextApi.active();
  // Started before anything else: its recording decides whether the batch is traced at all.
  const probe = tracer.startSpan(spanNames.batch, { kind: SpanKind.INTERNAL }, parent);
  if (!probe.isRecording()) return runToolBatch(calls, batchOptions as RunToolBatchOptions);
  const spans = new CallSpans(tracer, () => parent, descriptionsOf(batchOptions.tools));
  spans.adopt(probe, parent);
  try {
    const { batchOptions: resolved, runTool } = checkRunToolBatchOptions(batchOptions as RunToolBatchOptions);
    const attributes: Attributes = { [keys.batchSize]: Array.isArray(calls) ? calls.length : 0, [keys.policy]: resolved.policy };
    if (Number.isFinite(resolved.concurrency)) attributes[keys.concurrency] = resolved.concurrency;
    if (resolved.timeoutMs !== undefined && Number.isFinite(resolved.timeoutMs)) attributes[keys.timeoutMs] = resolved.timeoutMs;
    if (batchOptions.runId !== undefined) attributes[keys.runId] = batchOptions.runId;
    spans.openBatch(attributes);
    const { onEvent, tools, router: _router, runner: _runner, ...rest } = batchOptions as RunToolBatchOptions & { router?: unknown; runner?: unknown };
    const traced = {
      ...rest,
      ...(Array.isArray(tools) && 'runner' in batchOptions ? { tools } : {}),
      runner: { runTool: spans.wrap(runTool) },
      onEvent: (event: ToolBatchEmitted) => {
        spans.handle(event);
        onEvent?.(event);
      },
    } as RunToolBatchOptions;
    const batchContext = trace.setSpan(parent, probe);
    return contextApi.with(batchContext, () => runToolBatch(calls, traced)).then(
      (outputs) => {
        spans.endBatch();
        return outputs;
      },
      (error: unknown) => {
        spans.endBatch(error);
        throw error;
      },
    );
  } catch (error) {
    spans.endBatch(error);
    return Promise.reject(error);
  }
}

/**
 * Runs an agent as `runAgent` does, as an `invoke_agent` span with a `chat`
 * span per model turn and a `tool_batch` span per batch (whose calls are
 * `execute_tool {tool}` spans).
 *
 * @param options - `runAgent`'s options, and `tracerProvider`.
 * @returns what `runAgent` returns.
 * @example
 * ```ts
 * const result = await traceAgent({ model, tools: [weather], messages });
 * ```
 */
export function traceAgent(options: RunAgentOptions & TracingOptions): Promise<AgentRunResult> {
  const { tracerProvider, ...agentOptions } = options;
  const tracer = tracerOf({ ...(tracerProvider === undefined ? {} : { tracerProvider }) });
  const parent = contextApi.active();
  const attributes: Attributes = { [keys.operation]: 'invoke_agent', [keys.agentName]: 'xstate-parallel-tools' };
  const agent = tracer.startSpan(spanNames.agent, { kind: SpanKind.INTERNAL, attributes }, parent);
  if (!agent.isRecording()) return runAgent(agentOptions as RunAgentOptions);
  if (agentOptions.runId !== undefined) agent.setAttribute(keys.runId, agentOptions.runId);
  const agentContext = trace.setSpan(parent, agent);
  try {
    const source = agentOptions as RunAgentOptions & { router?: ReturnType<typeof routerFrom> };
    // A router is described by its tools: the traced runner replaces it.
    const tools = source.tools ?? (source.router === undefined ? undefined : [...source.router.tools.values()]);
    const runTool = source.runner?.runTool ?? routerFrom(source as ToolSource).runTool;
    const spans = new CallSpans(tracer, () => agentContext, descriptionsOf(tools));
    let turn: Span | undefined;
    const { onEvent, router: _router, ...rest } = source;
    const traced = {
      ...rest,
      ...(tools === undefined ? {} : { tools }),
      runner: { runTool: spans.wrap(runTool) },
      onEvent: (event: AgentLoopEmitted) => {
        if (event.type === 'model.started') {
          turn = tracer.startSpan(spanNames.modelTurn, { kind: SpanKind.CLIENT, attributes: { [keys.operation]: 'chat', [keys.step]: event.step } }, agentContext);
        } else if (event.type === 'model.finished') {
          turn?.setAttribute(keys.toolCalls, event.toolCalls);
          turn?.end();
          turn = undefined;
        } else if (event.type === 'batch.started') {
          const batch: Attributes = { [keys.batchSize]: event.calls.length, [keys.policy]: event.options.policy, [keys.step]: event.step };
          if (Number.isFinite(event.options.concurrency)) batch[keys.concurrency] = event.options.concurrency;
          spans.openBatch(batch);
        } else {
          spans.handle(event as ToolBatchEmitted);
        }
        onEvent?.(event);
      },
    } as RunAgentOptions;
    return contextApi.with(agentContext, () => runAgent(traced)).then(
      (result) => {
        if (turn !== undefined) endWithError(turn, new Error('the run ended during the model call'));
        spans.endBatch();
        agent.setAttribute(keys.agentStatus, result.status);
        if (result.status === 'failed') endWithError(agent, result.error);
        else agent.end();
        return result;
      },
      (error: unknown) => {
        spans.endBatch(error);
        endWithError(agent, error);
        throw error;
      },
    );
  } catch (error) {
    endWithError(agent, error);
    return Promise.reject(error);
  }
}
