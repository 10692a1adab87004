/**
 * A real OpenTelemetry SDK for tests: `BasicTracerProvider` writing to an
 * `InMemorySpanExporter`, the async-hooks context manager and the W3C
 * propagator registered globally (the tracer provider is not: tests pass it,
 * so that "no provider registered" stays true elsewhere), and the finished
 * spans as a tree of plain values that a test compares exactly.
 */
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A provider and the spans it finished. */
export interface TestTracing {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
}

let registered = false;

/**
 * Makes a provider with an in-memory exporter, registering the context manager and propagator once.
 *
 * @returns the provider and its exporter.
 */
export function createTestTracing(): TestTracing {
  if (!registered) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    registered = true;
  }
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, exporter };
}

/** A finished span as a value: its name, kind, status, attributes, events' names and children. */
export interface SpanNode {
  name: string;
  kind: string;
  status: string;
  attributes: Record<string, unknown>;
  events?: Array<{ name: string; attributes: Record<string, unknown> }>;
  children?: SpanNode[];
}

const kinds = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const codes = ['UNSET', 'OK', 'ERROR'];

/** A call's index and attempt, for spans that start in the same instant (the clock's resolution is coarser than a step). */
const callOrder = (span: ReadableSpan): number =>
  Number(span.attributes['xstate_parallel_tools.call.index'] ?? 0) * 1000 + Number(span.attributes['xstate_parallel_tools.call.attempt'] ?? 0);

/**
 * The finished spans as trees: roots are spans whose parent is not among them; children in start order
 * (spans of one instant by call index and attempt).
 *
 * @param spans - the exporter's finished spans.
 * @returns the root nodes.
 */
export function spanTree(spans: readonly ReadableSpan[]): SpanNode[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const byStart = [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1] || callOrder(a) - callOrder(b));
  const node = (span: ReadableSpan): SpanNode => {
    const { code, message } = span.status;
    const out: SpanNode = {
      name: span.name,
      kind: kinds[span.kind]!,
      status: message === undefined || message === '' ? codes[code]! : `${codes[code]}: ${message}`,
      attributes: { ...span.attributes },
    };
    if (span.events.length > 0) out.events = span.events.map((event) => ({ name: event.name, attributes: { ...event.attributes } }));
    const children = byStart.filter((child) => child.parentSpanContext?.spanId === span.spanContext().spanId);
    if (children.length > 0) out.children = children.map(node);
    return out;
  };
  return byStart.filter((span) => span.parentSpanContext === undefined || !ids.has(span.parentSpanContext.spanId)).map(node);
}
