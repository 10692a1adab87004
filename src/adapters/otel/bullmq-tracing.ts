/**
 * `bullmqTracing`: the trace across BullMQ. The runner writes the active
 * context (a call's `execute_tool` span) into each job with the propagator;
 * the worker reads it back and runs the job in a `process {queue}` span
 * (kind CONSUMER, the messaging conventions' attributes), a child of the
 * orchestrator's call span, so the tool's own spans on the worker nest there.
 *
 * It is structurally the BullMQ adapter's `JobTracing`: this module imports
 * nothing of BullMQ.
 */
import { context as contextApi, propagation, SpanKind, SpanStatusCode, trace, type TextMapPropagator, type TracerProvider } from '@opentelemetry/api';
import type { ToolCall } from '../../index.js';
import { keys, spanNames, tracerName } from './attributes.js';

/** Options of `bullmqTracing`. */
export interface BullMQTracingOptions {
  /** The provider whose tracer makes the worker's spans. Default: the global one. */
  tracerProvider?: TracerProvider;
  /** How the context is written into a job and read back. Default: the global propagator (`propagation`), W3C trace context with the SDK's defaults. */
  propagator?: TextMapPropagator;
}

/** What the BullMQ worker tells about a job (the BullMQ adapter's `TracedJob`). */
interface Job {
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly queueName: string;
  readonly jobId: string;
  readonly call: ToolCall;
  readonly attempt: number;
  failureOf(error: unknown): { kind: string; message: string };
}

/**
 * The tracing to give both `createBullMQRunner` and `createBullMQWorker` (`tracing`).
 *
 * @param options - `tracerProvider`, `propagator`.
 * @returns `{ inject, process }`.
 * @example
 * ```ts
 * const tracing = bullmqTracing();
 * const runner = createBullMQRunner({ connection, tracing });
 * const worker = createBullMQWorker({ connection, tools, tracing });
 * ```
 */
export function bullmqTracing(options: BullMQTracingOptions = {}): {
  inject(): Record<string, string> | undefined;
  process<T>(job: Job, run: () => Promise<T>): Promise<T>;
} {
  const propagator = options.propagator ?? propagation;
  return {
    inject() {
      const active = contextApi.active();
      if (!trace.getSpanContext(active)) return undefined;
      const headers: Record<string, string> = {};
      propagator.inject(active, headers, { set: (carrier, key, value) => void (carrier[key] = value) });
      return headers;
    },
    async process(job, run) {
      const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(tracerName);
      const headers = job.headers ?? {};
      const parent = propagator.extract(contextApi.active(), headers, {
        get: (carrier, key) => carrier[key],
        keys: (carrier) => Object.keys(carrier),
      });
      const span = tracer.startSpan(
        spanNames.job(job.queueName),
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            [keys.messagingSystem]: 'bullmq',
            [keys.messagingOperation]: 'process',
            [keys.destination]: job.queueName,
            [keys.messageId]: job.jobId,
            [keys.toolName]: job.call.name,
            [keys.toolCallId]: job.call.id,
            [keys.attempt]: job.attempt,
          },
        },
        parent,
      );
      try {
        return await contextApi.with(trace.setSpan(parent, span), run);
      } catch (error) {
        const { kind, message } = job.failureOf(error);
        span.setAttribute(keys.errorType, kind);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}
