/**
 * Batches and calls as OpenTelemetry spans, sent to an OTLP endpoint (a
 * collector, Jaeger, Langfuse, Phoenix, …). Any tracer provider works; this
 * one is the SDK's, with the OTLP/HTTP exporter. Run it with
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:4318/v1/traces npx tsx examples/otel.ts`.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { defineTool, type ToolCall, type ToolOutput } from 'xstate-parallel-tools';
import { traceToolBatch } from 'xstate-parallel-tools/otel';

const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: city.length * 3 }),
});

/**
 * Registers a tracer provider that exports over OTLP/HTTP, runs two calls as a traced batch, and flushes.
 *
 * @param url - the OTLP traces endpoint.
 * @returns the outputs, in call order.
 */
export async function main(url = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? 'http://127.0.0.1:4318/v1/traces'): Promise<ToolOutput[]> {
  const calls: ToolCall[] = [
    { id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } },
    { id: 'call_2', name: 'weather', arguments: { city: 'Lima' } },
  ];

  // #region readme
  // Once, at startup (the SDK's NodeSDK does the same): where spans go, and context across awaits.
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  // A tool_batch span with an execute_tool span per call, children of whatever span is active.
  const outputs = await traceToolBatch(calls, { tools: [weather], concurrency: 4 });

  await provider.shutdown(); // sends what is left
  // #endregion readme
  return outputs;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
