/**
 * examples/otel.ts against an OTLP/HTTP endpoint of the test's own: the
 * real exporter posts the spans as OTLP JSON, and the test reads them back.
 * A file of its own: the example registers a global tracer provider.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../examples/otel.js';

interface OtlpSpan {
  name: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

const bodies: Array<{ path: string; type: string | undefined; body: string }> = [];
let server: Server;

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe('examples/otel', () => {
  it('sends a tool_batch span and an execute_tool span per call to the OTLP endpoint', async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        bodies.push({ path: request.url ?? '', type: request.headers['content-type'], body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const outputs = await main(`http://127.0.0.1:${port}/v1/traces`);
    expect(outputs).toEqual([
      { id: 'call_1', result: { city: 'Oslo', celsius: 12 } },
      { id: 'call_2', result: { city: 'Lima', celsius: 12 } },
    ]);
    expect(bodies.map((request) => [request.path, request.type])).toEqual([['/v1/traces', 'application/json']]);
    const spans: OtlpSpan[] = JSON.parse(bodies[0]!.body).resourceSpans.flatMap((resource: { scopeSpans: Array<{ spans: OtlpSpan[] }> }) => resource.scopeSpans.flatMap((scope) => scope.spans));
    const batch = spans.find((span) => span.name === 'tool_batch')!;
    const attribute = (span: OtlpSpan, key: string) => span.attributes.find((entry) => entry.key === key)?.value.stringValue;
    expect(
      spans
        .filter((span) => span !== batch)
        .map((span) => [span.name, span.parentSpanId === batch.spanId, attribute(span, 'gen_ai.operation.name'), attribute(span, 'gen_ai.tool.call.id')])
        .sort(),
    ).toEqual([
      ['execute_tool weather', true, 'execute_tool', 'call_1'],
      ['execute_tool weather', true, 'execute_tool', 'call_2'],
    ]);
    expect(batch.parentSpanId ?? '').toBe('');
  });
});
