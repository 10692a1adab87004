/**
 * The OpenTelemetry adapter against the real SDK (`BasicTracerProvider`
 * with its `InMemorySpanExporter`, the async-hooks context manager, the W3C
 * propagator), and against a real BullMQ worker on a redis-server of the
 * test's own: the exact span tree, names, attributes, parentage and
 * statuses. Time runs on a `SimulatedClock`; tools settle when the test
 * resolves their deferred promises.
 */
import { randomUUID } from 'node:crypto';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTool, ToolBatchError, type ToolCall } from '../../src/index.js';
import { bullmqTracing, traceAgent, traceToolBatch } from '../../src/adapters/otel/index.js';
import { createBullMQRunner, createBullMQWorker } from '../../src/adapters/bullmq/index.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { askFor, say, toolCall, user } from '../helpers/chat.js';
import { deferred } from '../helpers/deferred.js';
import { createTestTracing, spanTree, type SpanNode } from '../helpers/spans.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';

const { provider, exporter } = createTestTracing();
const tracer = provider.getTracer('test');

/** Lets every pending promise reaction run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Runs `work` inside an active `request` span, as a caller's handler would, and gives the finished span tree. */
async function traced<T>(work: () => Promise<T>): Promise<{ result: T; tree: SpanNode[] }> {
  exporter.reset();
  const result = await tracer.startActiveSpan('request', async (request) => {
    try {
      return await work();
    } finally {
      request.end();
    }
  });
  return { result, tree: spanTree(exporter.getFinishedSpans()) };
}

/** The attributes every `execute_tool` span has. */
function callAttributes(name: string, id: string, index: number, description: string, more: Record<string, unknown>): Record<string, unknown> {
  return {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': name,
    'gen_ai.tool.call.id': id,
    'gen_ai.tool.type': 'function',
    'gen_ai.tool.description': description,
    'xstate_parallel_tools.call.index': index,
    ...more,
  };
}

describe('traceToolBatch', () => {
  it('traces a batch with a success, a failure, a retry, an approval and a timeout as the GenAI conventions say', async () => {
    const clock = new SimulatedClock();
    const gate = deferred<string>();
    const approval = deferred<boolean>();
    const ok = defineTool({ name: 'ok', description: 'Succeeds when let', parameters: z.object({}), execute: () => gate.promise });
    const slow = defineTool({
      name: 'slow',
      description: 'Never ends',
      parameters: z.object({}),
      timeoutMs: 50,
      execute: (_args, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const bad = defineTool({
      name: 'bad',
      description: 'Fails',
      parameters: z.object({}),
      execute: () => {
        throw new Error('boom');
      },
    });
    const flaky = defineTool({
      name: 'flaky',
      description: 'Fails once',
      parameters: z.object({}),
      retry: { attempts: 2, initialDelayMs: 100 },
      execute: (_args, { attempt }) => {
        if (attempt === 1) throw new Error('first');
        return attempt;
      },
    });
    const pay = defineTool({ name: 'pay', description: 'Pays', parameters: z.object({}), needsApproval: () => true, execute: () => 'paid' });
    const calls: ToolCall[] = ['ok', 'slow', 'bad', 'flaky', 'pay'].map((name, i) => ({ id: `c${i + 1}`, name, arguments: {} }));

    const { result, tree } = await traced(async () => {
      const run = traceToolBatch(calls, {
        tools: [ok, slow, bad, flaky, pay],
        policy: 'settleAll',
        concurrency: 2,
        clock,
        runId: 'run-1',
        approve: () => approval.promise,
        tracerProvider: provider,
      });
      await settle();
      // t = 10: ok settles; bad fails, flaky fails and backs off 100 ms, pay asks, all in its lane.
      clock.increment(10);
      gate.resolve('done');
      await settle();
      approval.resolve(true);
      await settle();
      clock.increment(40); // t = 50: slow times out
      await settle();
      clock.increment(60); // t = 110: flaky's second attempt
      return run;
    });

    expect(result.map((slot) => (slot.ok ? slot.output.result : slot.failure.kind))).toEqual(['done', 'timeout', 'error', 2, 'paid']);
    expect(tree).toEqual([
      {
        name: 'request',
        kind: 'INTERNAL',
        status: 'UNSET',
        attributes: {},
        children: [
          {
            name: 'tool_batch',
            kind: 'INTERNAL',
            status: 'UNSET',
            attributes: {
              'xstate_parallel_tools.batch.size': 5,
              'xstate_parallel_tools.batch.policy': 'settleAll',
              'xstate_parallel_tools.batch.concurrency': 2,
              'xstate_parallel_tools.run.id': 'run-1',
              'xstate_parallel_tools.batch.status': 'succeeded',
              'xstate_parallel_tools.batch.succeeded': 3,
              'xstate_parallel_tools.batch.failed': 2,
              'xstate_parallel_tools.batch.aborted': 0,
              'xstate_parallel_tools.batch.cancelled': 0,
            },
            children: [
              {
                name: 'execute_tool ok',
                kind: 'INTERNAL',
                status: 'UNSET',
                attributes: callAttributes('ok', 'c1', 0, 'Succeeds when let', {
                  'xstate_parallel_tools.call.attempt': 1,
                  'xstate_parallel_tools.call.lane': 0,
                  'xstate_parallel_tools.call.queued_ms': 0,
                  'xstate_parallel_tools.call.status': 'succeeded',
                }),
              },
              {
                name: 'execute_tool slow',
                kind: 'INTERNAL',
                status: 'ERROR: the tool did not settle within 50 ms',
                attributes: callAttributes('slow', 'c2', 1, 'Never ends', {
                  'xstate_parallel_tools.call.attempt': 1,
                  'xstate_parallel_tools.call.lane': 1,
                  'xstate_parallel_tools.call.queued_ms': 0,
                  'xstate_parallel_tools.call.status': 'failed',
                  'error.type': 'timeout',
                }),
              },
              {
                name: 'execute_tool bad',
                kind: 'INTERNAL',
                status: 'ERROR: boom',
                attributes: callAttributes('bad', 'c3', 2, 'Fails', {
                  'xstate_parallel_tools.call.attempt': 1,
                  'xstate_parallel_tools.call.lane': 0,
                  'xstate_parallel_tools.call.queued_ms': 10,
                  'xstate_parallel_tools.call.status': 'failed',
                  'error.type': 'error',
                }),
              },
              {
                name: 'execute_tool flaky',
                kind: 'INTERNAL',
                status: 'ERROR: first',
                attributes: callAttributes('flaky', 'c4', 3, 'Fails once', {
                  'xstate_parallel_tools.call.attempt': 1,
                  'xstate_parallel_tools.call.lane': 0,
                  'xstate_parallel_tools.call.queued_ms': 10,
                  'xstate_parallel_tools.call.status': 'retrying',
                  'xstate_parallel_tools.call.retry_in_ms': 100,
                  'error.type': 'error',
                }),
              },
              {
                name: 'execute_tool pay',
                kind: 'INTERNAL',
                status: 'UNSET',
                attributes: callAttributes('pay', 'c5', 4, 'Pays', {
                  'xstate_parallel_tools.call.attempt': 1,
                  'xstate_parallel_tools.call.lane': 0,
                  'xstate_parallel_tools.call.queued_ms': 10,
                  'xstate_parallel_tools.call.approved': true,
                  'xstate_parallel_tools.call.status': 'succeeded',
                }),
                children: [
                  {
                    name: 'await_approval pay',
                    kind: 'INTERNAL',
                    status: 'UNSET',
                    attributes: { 'gen_ai.tool.name': 'pay', 'gen_ai.tool.call.id': 'c5', 'xstate_parallel_tools.approval.decision': 'approved' },
                  },
                ],
              },
              {
                name: 'execute_tool flaky',
                kind: 'INTERNAL',
                status: 'UNSET',
                attributes: callAttributes('flaky', 'c4', 3, 'Fails once', {
                  'xstate_parallel_tools.call.attempt': 2,
                  'xstate_parallel_tools.call.lane': 0,
                  'xstate_parallel_tools.call.status': 'succeeded',
                }),
              },
            ],
          },
        ],
      },
    ]);
  });

  it('marks a failed batch and its aborted calls as errors, and a denied call with kind denied', async () => {
    const gate = deferred<string>();
    const waits = defineTool({ name: 'waits', description: 'Waits', parameters: z.object({}), execute: (_args, { signal }) => Promise.race([gate.promise, new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))]) });
    const pay = defineTool({ name: 'pay', description: 'Pays', parameters: z.object({}), needsApproval: () => true, execute: () => 'paid' });
    const { result, tree } = await traced(() =>
      traceToolBatch(
        [
          { id: 'w', name: 'waits', arguments: {} },
          { id: 'p', name: 'pay', arguments: {} },
        ],
        { tools: [waits, pay], approve: () => false, tracerProvider: provider },
      ).then(
        () => 'resolved',
        (error: unknown) => (ToolBatchError.isInstance(error) ? error.failures.map((failure) => failure.kind) : error),
      ),
    );
    expect(result).toEqual(['denied', 'aborted']);
    const batch = tree[0]!.children![0]!;
    expect({ name: batch.name, status: batch.status, attributes: batch.attributes }).toEqual({
      name: 'tool_batch',
      status: 'ERROR: 1 of 2 settled calls failed',
      attributes: {
        'xstate_parallel_tools.batch.size': 2,
        'xstate_parallel_tools.batch.policy': 'failFast',
        'xstate_parallel_tools.batch.status': 'failed',
        'xstate_parallel_tools.batch.succeeded': 0,
        'xstate_parallel_tools.batch.failed': 1,
        'xstate_parallel_tools.batch.aborted': 1,
        'xstate_parallel_tools.batch.cancelled': 0,
        'error.type': 'ToolBatchError',
      },
    });
    expect(batch.children!.map((span) => [span.name, span.status, span.attributes['error.type'], span.children?.map((child) => [child.name, child.attributes['xstate_parallel_tools.approval.decision']])])).toEqual([
      ['execute_tool waits', 'ERROR: aborted before it settled: the batch ended', 'aborted', undefined],
      ['execute_tool pay', 'ERROR: the call was denied: not approved', 'denied', [['await_approval pay', 'denied']]],
    ]);
  });

  it('runs the tool with its execute_tool span active, so that the tool’s own spans are its children', async () => {
    const lookup = defineTool({
      name: 'lookup',
      description: 'Looks up',
      parameters: z.object({}),
      execute: async () => {
        await settle();
        return tracer.startActiveSpan('db.query', (span) => {
          span.end();
          return 'found';
        });
      },
    });
    const { tree } = await traced(() => traceToolBatch([{ id: 'l', name: 'lookup', arguments: {} }], { tools: [lookup], tracerProvider: provider }));
    expect(tree[0]!.children![0]!.children![0]!.children).toEqual([{ name: 'db.query', kind: 'INTERNAL', status: 'UNSET', attributes: {} }]);
  });

  it('ends the batch span with the error when the options are refused', async () => {
    const { tree } = await traced(() => traceToolBatch([], { tools: [], concurrency: 0, tracerProvider: provider }).catch((error: unknown) => (error as Error).name));
    expect(tree[0]!.children).toEqual([
      {
        name: 'tool_batch',
        kind: 'INTERNAL',
        status: 'ERROR: Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `0` (number)',
        attributes: { 'error.type': 'TypeError' },
      },
    ]);
  });

  it('runs the batch as runToolBatch does, making no span, when no tracer provider is registered', async () => {
    exporter.reset();
    const echo = defineTool({ name: 'echo', description: 'Echoes', parameters: z.object({ text: z.string() }), execute: ({ text }) => text });
    expect(await traceToolBatch([{ id: 'e', name: 'echo', arguments: { text: 'hi' } }], { tools: [echo] })).toEqual([{ id: 'e', result: 'hi' }]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('traceAgent', () => {
  it('traces an agent run: invoke_agent, a chat span per model turn, a tool_batch per step', async () => {
    const echo = defineTool({ name: 'echo', description: 'Echoes', parameters: z.object({ text: z.string() }), execute: ({ text }) => text });
    const model = createScriptedModel([askFor(toolCall('a', 'echo', '{"text":"one"}'), toolCall('b', 'echo', '{"text":"two"}')), say('done')]);
    const { result, tree } = await traced(() => traceAgent({ model, tools: [echo], messages: [user], clock: new SimulatedClock(), tracerProvider: provider }));
    expect(result.status).toBe('done');
    const shape = (node: SpanNode): unknown => [node.name, node.kind, node.status, ...(node.children ? [node.children.map(shape)] : [])];
    expect(tree.map(shape)).toEqual([
      [
        'request',
        'INTERNAL',
        'UNSET',
        [
          [
            'invoke_agent',
            'INTERNAL',
            'UNSET',
            [
              ['chat', 'CLIENT', 'UNSET'],
              ['tool_batch', 'INTERNAL', 'UNSET', [['execute_tool echo', 'INTERNAL', 'UNSET'], ['execute_tool echo', 'INTERNAL', 'UNSET']]],
              ['chat', 'CLIENT', 'UNSET'],
            ],
          ],
        ],
      ],
    ]);
    const agent = tree[0]!.children![0]!;
    expect(agent.attributes).toEqual({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'xstate-parallel-tools', 'xstate_parallel_tools.agent.status': 'done' });
    expect(agent.children!.map((span) => span.attributes)).toEqual([
      { 'gen_ai.operation.name': 'chat', 'xstate_parallel_tools.step': 1, 'xstate_parallel_tools.model.tool_calls': 2 },
      { 'xstate_parallel_tools.batch.size': 2, 'xstate_parallel_tools.batch.policy': 'failFast', 'xstate_parallel_tools.step': 1, 'xstate_parallel_tools.batch.status': 'succeeded', 'xstate_parallel_tools.batch.succeeded': 2, 'xstate_parallel_tools.batch.failed': 0, 'xstate_parallel_tools.batch.aborted': 0, 'xstate_parallel_tools.batch.cancelled': 0 },
      { 'gen_ai.operation.name': 'chat', 'xstate_parallel_tools.step': 2, 'xstate_parallel_tools.model.tool_calls': 0 },
    ]);
  });
});

describe('bullmqTracing', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it("carries the trace in the job: the worker's span is a child of the orchestrator's call span", async () => {
    const queueName = `otel-${randomUUID().slice(0, 8)}`;
    const weather = defineTool({
      name: 'weather',
      description: 'Temperature of a city',
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) =>
        tracer.startActiveSpan('weather.fetch', (span) => {
          span.end();
          return { city, celsius: 12 };
        }),
    });
    const worker = createBullMQWorker({ connection: redis.url, queueName, tools: [weather], tracing: bullmqTracing({ tracerProvider: provider }), onError: () => {} });
    await worker.ready;
    const runner = createBullMQRunner({ connection: redis.url, queueName, tracing: bullmqTracing() });
    try {
      const { result, tree } = await traced(() => traceToolBatch([{ id: 'w1', name: 'weather', arguments: { city: 'Oslo' } }], { runner, tools: [weather], runId: 'remote-1', tracerProvider: provider }));
      expect(result).toEqual([{ id: 'w1', result: { city: 'Oslo', celsius: 12 } }]);
      const call = tree[0]!.children![0]!.children![0]!;
      expect(call.name).toBe('execute_tool weather');
      expect(call.children).toEqual([
        {
          name: `process ${queueName}`,
          kind: 'CONSUMER',
          status: 'UNSET',
          attributes: {
            'messaging.system': 'bullmq',
            'messaging.operation.type': 'process',
            'messaging.destination.name': queueName,
            'messaging.message.id': 'remote-1%3Aw1',
            'gen_ai.tool.name': 'weather',
            'gen_ai.tool.call.id': 'w1',
            'xstate_parallel_tools.call.attempt': 1,
          },
          children: [{ name: 'weather.fetch', kind: 'INTERNAL', status: 'UNSET', attributes: {} }],
        },
      ]);
      // The same trace end to end.
      const traceIds = new Set(exporter.getFinishedSpans().map((span) => span.spanContext().traceId));
      expect(traceIds.size).toBe(1);
    } finally {
      await runner.close();
      await worker.close();
    }
  });
});
