/**
 * A tool result or thrown value that is a Proxy with one throwing trap (get,
 * has, ownKeys, getPrototypeOf, getOwnPropertyDescriptor), returned or thrown,
 * at once or after a microtask, with and without a durable file store: the
 * process survives, the batch settles, each slot settles exactly once with
 * a clear kind, the good calls around it keep their results, and a durable
 * run's checkpoint is written, parses, and replays the same results. The
 * same for an Error with a cycle in it (`error.self = error`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import type { AssistantMessage, ChatMessage } from '../../src/core/chat-format.js';
import type { SettledResult, ToolCall } from '../../src/core/schemas.js';
import { runAgent } from '../../src/runtime/agent.js';
import { createFileStore, type RunCheckpoint } from '../../src/runtime/run-store.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { defineTool } from '../../src/runtime/tools.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { echo, good, goodOutput, starts } from '../helpers/good-calls.js';
import { within } from '../helpers/names.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

const traps = ['get', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor'] as const;
type Trap = (typeof traps)[number];

/** How the tool hands the value over: returned or thrown, at once or after a microtask. */
const modes = ['returns', 'resolves', 'throws', 'rejects'] as const;
type Mode = (typeof modes)[number];

/** A Proxy over `{ a: 1 }` whose one trap throws; every other operation works. */
const trapping = (trap: Trap): object =>
  new Proxy(
    { a: 1 },
    {
      [trap]: () => {
        throw new Error(`${trap} trap`);
      },
    },
  );

/**
 * The kind and message of the call's failure. A returned value is checked
 * as JSON (invalidResult), except under a throwing `get`: resolving a
 * promise with it reads `then`, which throws, so the tool's promise rejects
 * with the trap's error. A thrown value is an `error` that shows the value
 * as far as it can be read.
 */
function expectedFailure(trap: Trap, mode: Mode): { kind: string; message: string } {
  if (mode === 'returns' || mode === 'resolves') {
    return trap === 'get' ? { kind: 'error', message: 'get trap' } : { kind: 'invalidResult', message: `the tool's result is not JSON: reading it threw: ${trap} trap` };
  }
  const shown = trap === 'get' ? 'a value that could not be described' : trap === 'ownKeys' || trap === 'getOwnPropertyDescriptor' ? '[object Object]' : '{"a":1}';
  return { kind: 'error', message: `the tool threw a non-Error value: ${shown}` };
}

/** A tool named `bad` that hands `make()` over as `mode` says, counting its runs. */
function badTool(make: () => unknown, mode: Mode, runs: { count: number }) {
  return defineTool({
    name: 'bad',
    description: 'hands over a hostile value',
    parameters: z.object({}),
    execute: () => {
      runs.count++;
      switch (mode) {
        case 'returns':
          return make();
        case 'resolves':
          return Promise.resolve().then(make);
        case 'throws':
          throw make();
        case 'rejects':
          return Promise.resolve().then(() => {
            throw make();
          });
      }
    },
  });
}

const calls: ToolCall[] = [good(0), { id: 'bad', name: 'bad', arguments: {} }, good(2)];

const dir = mkdtempSync(join(tmpdir(), 'hostile-traps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;
const nextRunId = (): string => `trap-run-${runs++}`;

/** Reads a run's checkpoint file: it must exist and parse. */
function checkpointOf(runId: string): RunCheckpoint {
  return JSON.parse(readFileSync(join(dir, `${runId}.json`), 'utf8')) as RunCheckpoint;
}

/** Runs `[good, bad, good]` under settleAll, durably or not, and checks every slot and event. */
async function runAmongGood(make: () => unknown, mode: Mode, durable: boolean, expected: { kind: string; message: string }): Promise<void> {
  const bad = { count: 0 };
  starts.count = 0;
  const events: ToolBatchEmitted[] = [];
  const runId = nextRunId();
  const tools = [echo, badTool(make, mode, bad)];
  const options = { tools, policy: 'settleAll' as const, ...(durable ? { store: createFileStore(dir), runId } : {}) };
  const results = await within(runToolBatch(calls, { ...options, onEvent: (event) => events.push(event) }), 5_000, 'the batch');
  const failure = { index: 1, id: 'bad', name: 'bad', ...expected };
  const expectedResults = [{ ok: true, output: goodOutput(0) }, { ok: false, failure }, { ok: true, output: goodOutput(2) }];
  expect(results.map((result) => (result.ok ? result : { ok: false, failure: { ...result.failure, error: undefined } }))).toEqual(
    expectedResults.map((result) => (result.ok ? result : { ok: false, failure: { ...result.failure, error: undefined } })),
  );
  expect(events.filter((event) => event.type === 'call.settled').map((event) => event.index).sort()).toEqual([0, 1, 2]);
  expect(events.filter((event) => event.type === 'batch.settled')).toEqual([{ type: 'batch.settled', status: 'succeeded', at: expect.any(Number) as unknown }]);
  expect([bad.count, starts.count]).toEqual([1, 2]);
  if (!durable) return;

  const checkpoint = checkpointOf(runId);
  expect([checkpoint.version, checkpoint.kind, (checkpoint.snapshot as { status?: unknown }).status]).toEqual([1, 'batch', 'done']);
  // The same run id replays the checkpoint: the same results, and no tool runs again.
  const again: SettledResult[] = await within(runToolBatch(calls, options), 5_000, 'the replay');
  expect(again.map((result) => (result.ok ? result : { ok: false, failure: { ...result.failure, error: undefined } }))).toEqual(
    expectedResults.map((result) => (result.ok ? result : { ok: false, failure: { ...result.failure, error: undefined } })),
  );
  expect([bad.count, starts.count]).toEqual([1, 2]);
}

describe('a Proxy with one throwing trap, returned or thrown by a tool', () => {
  for (const durable of [false, true]) {
    describe(durable ? 'with a file store' : 'without a store', () => {
      for (const trap of traps) {
        it.each(modes)(`${trap} trap: a tool that %s it fails that call alone with its kind`, async (mode) => {
          await runAmongGood(() => trapping(trap), mode, durable, expectedFailure(trap, mode));
        });
      }
    });
  }

  it.each(traps)('under joinAll and failFast the batch rejects with the %s-trap failure, and the checkpoint is written', async (trap) => {
    for (const policy of ['joinAll', 'failFast'] as const) {
      for (const mode of modes) {
        const runId = nextRunId();
        const error = await within(
          runToolBatch([{ id: 'bad', name: 'bad', arguments: {} }], { tools: [badTool(() => trapping(trap), mode, { count: 0 })], policy, store: createFileStore(dir), runId }).then(
            () => expect.fail('the batch should fail'),
            (reason: unknown) => reason as { failures: Array<{ kind: string; message: string }> },
          ),
          5_000,
          'the batch',
        );
        const { kind, message } = error.failures[0]!;
        expect([policy, mode, kind, message, error.failures.length]).toEqual([policy, mode, ...Object.values(expectedFailure(trap, mode)), 1]);
        expect(checkpointOf(runId).kind).toBe('batch');
      }
    }
  });
});

describe('such a Proxy nested in a plain result, returned or thrown in a durable run', () => {
  const nested = (trap: Trap) => (): unknown => ({ data: [1, trapping(trap)] });
  const shownNested = (trap: Trap): string => (trap === 'has' || trap === 'getPrototypeOf' ? '{"data":[1,{"a":1}]}' : '[object Object]');

  it.each(traps)('%s trap: a returned result fails with invalidResult, a thrown one with error', async (trap) => {
    await runAmongGood(nested(trap), 'resolves', true, { kind: 'invalidResult', message: `the tool's result is not JSON: reading it threw: ${trap} trap` });
    await runAmongGood(nested(trap), 'rejects', true, { kind: 'error', message: `the tool threw a non-Error value: ${shownNested(trap)}` });
  });
});

describe('an Error that holds such a Proxy, retried in a durable run', () => {
  it.each(traps)('%s trap: as cause or as a property, the call fails with kind error after its retries', async (trap) => {
    for (const holds of ['cause', 'property'] as const) {
      const runId = nextRunId();
      let attempts = 0;
      const tool = defineTool({
        name: 'bad',
        description: 'throws an Error that holds a hostile value',
        parameters: z.object({}),
        retry: { attempts: 2, initialDelayMs: 1 },
        execute: async () => {
          attempts++;
          throw holds === 'cause' ? new Error('wrapped', { cause: trapping(trap) }) : Object.assign(new Error('with a response'), { response: trapping(trap) });
        },
      });
      const [result] = await within(runToolBatch([{ id: 'bad', name: 'bad', arguments: {} }], { tools: [tool], policy: 'settleAll', store: createFileStore(dir), runId }), 5_000, 'the batch');
      expect([holds, attempts, result!.ok ? 'ok' : [result!.failure.kind, result!.failure.message]]).toEqual([holds, 2, ['error', holds === 'cause' ? 'wrapped' : 'with a response']]);
      const checkpoint = checkpointOf(runId);
      expect([checkpoint.kind, (checkpoint.snapshot as { status?: unknown }).status]).toEqual(['batch', 'done']);
    }
  });
});

describe('an Error with a cycle in it', () => {
  const cyclic = (): Error => {
    const error = new Error('socket hang up') as Error & { self?: unknown };
    error.self = error;
    return error;
  };

  it.each(['throws', 'rejects'] as const)('a tool that %s it fails its call with kind error in a durable run', async (mode) => {
    await runAmongGood(cyclic, mode, true, { kind: 'error', message: 'socket hang up' });
  });

  it('a durable agent run answers the model with the error and checkpoints', async () => {
    const runId = nextRunId();
    const turn: AssistantMessage = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'bad', arguments: '{}' } },
        { id: 'c2', type: 'function', function: { name: 'bad2', arguments: '{}' } },
      ],
    };
    const final: AssistantMessage = { role: 'assistant', content: 'done' };
    const user: ChatMessage = { role: 'user', content: 'go' };
    const trap = defineTool({ name: 'bad2', description: 'returns a hostile value', parameters: z.object({}), execute: () => trapping('ownKeys') });
    const result = await within(
      runAgent({ model: createScriptedModel([turn, final]), tools: [badTool(cyclic, 'rejects', { count: 0 }), trap], messages: [user], policy: 'settleAll', store: createFileStore(dir), runId }),
      5_000,
      'the agent',
    );
    expect([result.status, result.messages]).toEqual([
      'done',
      [
        user,
        turn,
        { role: 'tool', tool_call_id: 'c1', content: JSON.stringify({ error: { kind: 'error', message: 'socket hang up' } }) },
        { role: 'tool', tool_call_id: 'c2', content: JSON.stringify({ error: { kind: 'invalidResult', message: "the tool's result is not JSON: reading it threw: ownKeys trap" } }) },
        final,
      ],
    ]);
    const checkpoint = checkpointOf(runId);
    expect([checkpoint.version, checkpoint.kind, (checkpoint.snapshot as { status?: unknown }).status]).toEqual([1, 'agent', 'done']);
  });
});
