/**
 * `xstate-parallel-tools/otel`: batches, calls and agent runs as
 * OpenTelemetry spans named and attributed as the GenAI semantic
 * conventions say, and a trace carried across BullMQ.
 * `@opentelemetry/api` is an optional peer dependency, loaded only here.
 */
export { traceAgent, traceToolBatch } from './trace-tool-batch.js';
export type { TracingOptions } from './trace-tool-batch.js';
export { bullmqTracing } from './bullmq-tracing.js';
export type { BullMQTracingOptions } from './bullmq-tracing.js';
