/**
 * Names and ids are data: a tool name or call id that is a key of
 * `Object.prototype` (`constructor`, `__proto__`, `toString`, …), looks
 * empty, is 10,000 characters long or is unusual Unicode never indexes an
 * object with a prototype. Through every entry point (runToolBatch, the raw
 * batch machine, the step layer, runAgent and resumeAgent), with calls, limits
 * and decisions as JSON.parse gives them: each slot settles once, a
 * registered tool runs and returns its result, an unknown name fails its call
 * alone with `unknownTool` naming it, a per-tool limit holds, and nothing
 * throws, hangs or goes unhandled.
 */
import fc from 'fast-check';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { z } from 'zod';
import { toolBatchMachine, type ToolBatchEmitted, type ToolBatchOutput } from '../../machines/tool-batch.machine.js';
import type { AssistantMessage, ChatMessage } from '../../src/core/chat-format.js';
import { ToolBatchError } from '../../src/core/errors.js';
import { joinPolicies, type JoinPolicy, type SettledResult, type ToolCall, type ToolFailure, type ToolOutput } from '../../src/core/schemas.js';
import { resumeAgent, runAgent } from '../../src/runtime/agent.js';
import { withParallelTools } from '../../src/runtime/parallel-tools-step.js';
import { createFileStore } from '../../src/runtime/run-store.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { createToolRouter, defineTool, type AnyTool } from '../../src/runtime/tools.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { parsedObject, registrable, unknownToolMessage, vocabulary, within } from '../helpers/names.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

/** One call of a plan: its id, the tool it names, and how many event-loop turns its tool takes. */
interface PlannedCall {
  id: string;
  name: string;
  turns: number;
}

interface Plan {
  calls: PlannedCall[];
  /** The tools registered, in registration order. */
  registered: string[];
  /** `perToolConcurrency` entries, parsed from JSON. */
  limits: Array<[string, number]>;
  policy: JoinPolicy;
  concurrency: number;
}

const planArbitrary: fc.Arbitrary<Plan> = fc
  .record({
    registered: fc.shuffledSubarray([...registrable], { minLength: 1, maxLength: 6 }),
    policy: fc.constantFrom(...joinPolicies),
    concurrency: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Infinity)),
  })
  .chain(({ registered, policy, concurrency }) =>
    fc.record({
      registered: fc.constant(registered),
      policy: fc.constant(policy),
      concurrency: fc.constant(concurrency),
      calls: fc.uniqueArray(
        fc.record({
          id: fc.constantFrom(...vocabulary),
          // Registered names half the time, so that most batches run tools beside unknown calls.
          name: fc.oneof(fc.constantFrom(...registered), fc.constantFrom(...vocabulary)),
          turns: fc.nat(3),
        }),
        { selector: (call) => call.id, minLength: 1, maxLength: 8 },
      ),
      limits: fc.uniqueArray(fc.tuple(fc.oneof(fc.constantFrom(...registered), fc.constantFrom(...vocabulary)), fc.integer({ min: 1, max: 3 })), {
        selector: ([name]) => name,
        maxLength: 4,
      }),
    }),
  );

/** What each tool saw: starts per call id, and running and peak counts per tool. */
class Probe {
  readonly starts = new Map<string, number>();
  readonly running = new Map<string, number>();
  readonly peak = new Map<string, number>();
  total = 0;
  peakTotal = 0;

  start(name: string, id: string): void {
    this.starts.set(id, (this.starts.get(id) ?? 0) + 1);
    const now = (this.running.get(name) ?? 0) + 1;
    this.running.set(name, now);
    this.peak.set(name, Math.max(this.peak.get(name) ?? 0, now));
    this.total++;
    this.peakTotal = Math.max(this.peakTotal, this.total);
  }

  end(name: string): void {
    this.running.set(name, this.running.get(name)! - 1);
    this.total--;
  }
}

/** The arguments a call carries, as a model's JSON parses: prototype keys beside the one the schema reads. */
const argumentsText = (turns: number): string => `{"turns":${turns},"__proto__":{"polluted":true},"constructor":"x","toString":1}`;

/** What the tool `name` returns for call `id`: an object whose keys are prototype keys, as JSON.parse makes it. */
const resultOf = (name: string, id: string): Record<string, unknown> =>
  parsedObject<unknown>([
    ['__proto__', name],
    ['constructor', id.length],
    ['tool', name],
  ]);

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function toolsFor(names: readonly string[], probe: Probe, needsApproval = false): AnyTool[] {
  return names.map((name) =>
    defineTool({
      name,
      description: `the tool called ${name}`,
      parameters: z.object({ turns: z.number().int() }),
      ...(needsApproval ? { needsApproval: true } : {}),
      execute: async ({ turns }, { call }) => {
        probe.start(name, call.id);
        try {
          for (let i = 0; i < turns; i++) await turn();
          return resultOf(name, call.id);
        } finally {
          probe.end(name);
        }
      },
    }),
  );
}

/** The calls of a plan as a model's JSON text parses to them. */
function callsOf(plan: Plan): ToolCall[] {
  return JSON.parse(JSON.stringify(plan.calls.map(({ id, name, turns }) => ({ id, name, argumentsText: argumentsText(turns) })))).map(
    (call: { id: string; name: string; argumentsText: string }) => ({ id: call.id, name: call.name, arguments: JSON.parse(call.argumentsText) as unknown }),
  );
}

/** What runToolBatch's promise settled to, as the batch machine's output. */
async function outputOf(batch: Promise<ToolOutput[] | SettledResult[]>, policy: JoinPolicy): Promise<ToolBatchOutput> {
  try {
    const value = await within(batch, 5_000, 'the batch');
    return policy === 'settleAll' ? { status: 'succeeded', results: value as SettledResult[] } : { status: 'succeeded', outputs: value as ToolOutput[] };
  } catch (error) {
    if (!ToolBatchError.isInstance(error)) throw error;
    return { status: 'failed', policy: error.policy, failures: error.failures, outputs: error.outputs };
  }
}

/** The failure an unknown call must settle with. */
function unknownFailure(plan: Plan, index: number): ToolFailure {
  const { id, name } = plan.calls[index]!;
  return { index, id, name, kind: 'unknownTool', message: unknownToolMessage(name, plan.registered), error: expect.anything() as unknown };
}

const isKnown = (plan: Plan, index: number): boolean => plan.registered.includes(plan.calls[index]!.name);
const resultJson = (plan: Plan, index: number): string => JSON.stringify(resultOf(plan.calls[index]!.name, plan.calls[index]!.id));
const outputJson = (output: ToolOutput | undefined): string | undefined => (output === undefined ? undefined : `${output.id}:${JSON.stringify(output.result)}`);

/** Under failFast: each failure is an unknown call's, or the abort of a call the first one caught running. */
function checkFailFastFailures(plan: Plan, failures: readonly ToolFailure[]): void {
  for (const failure of failures) {
    if (failure.kind === 'unknownTool') expect(failure).toEqual(unknownFailure(plan, failure.index));
    else expect([failure.kind, failure.message]).toEqual(['aborted', 'aborted before it settled: the batch ended']);
  }
}

/** Checks a batch's output, the events it emitted and what the tools saw against the plan. */
function checkBatch(plan: Plan, output: ToolBatchOutput, events: ToolBatchEmitted[], probe: Probe): void {
  const { calls, policy } = plan;
  const expectedOutputs = calls.map((call, i) => (isKnown(plan, i) ? `${call.id}:${resultJson(plan, i)}` : undefined));
  const unknown = calls.flatMap((_, i) => (isKnown(plan, i) ? [] : [i]));
  if (policy === 'settleAll') {
    expect(output.status).toBe('succeeded');
    const results = (output as { results: SettledResult[] }).results;
    expect(results).toHaveLength(calls.length);
    results.forEach((result, i) => {
      if (isKnown(plan, i)) expect(result.ok ? outputJson(result.output) : result.failure).toBe(expectedOutputs[i]);
      else expect(result.ok ? result.output : result.failure).toEqual(unknownFailure(plan, i));
    });
  } else if (unknown.length === 0) {
    expect(output.status).toBe('succeeded');
    expect((output as { outputs: ToolOutput[] }).outputs.map(outputJson)).toEqual(expectedOutputs);
  } else {
    expect(output.status).toBe('failed');
    const { failures, outputs } = output as Extract<ToolBatchOutput, { status: 'failed' }>;
    expect(output).toMatchObject({ policy });
    if (policy === 'joinAll') {
      expect(failures).toEqual(unknown.map((i) => unknownFailure(plan, i)));
      expect(outputs.map(outputJson)).toEqual(expectedOutputs);
    } else {
      // failFast: an unknown call ended the batch; the calls it caught running were aborted.
      expect(failures[0]!.kind).toBe('unknownTool');
      checkFailFastFailures(plan, failures);
      outputs.forEach((out, i) => {
        if (out !== undefined) expect(outputJson(out)).toBe(expectedOutputs[i]);
      });
    }
  }

  // Every slot settled once (under failFast, every started one), and the batch once.
  const settledCount = new Map<number, number>();
  for (const event of events) if (event.type === 'call.settled') settledCount.set(event.index, (settledCount.get(event.index) ?? 0) + 1);
  for (const count of settledCount.values()) expect(count).toBe(1);
  if (policy !== 'failFast') expect([...settledCount.keys()].sort((a, b) => a - b)).toEqual(calls.map((_, i) => i));
  expect(events.filter((event) => event.type === 'batch.settled')).toHaveLength(1);

  // Each registered call ran at most once (exactly once unless failFast ended the batch first); limits held.
  for (const [id, count] of probe.starts) expect([id.slice(0, 20), count]).toEqual([id.slice(0, 20), 1]);
  if (policy !== 'failFast') expect(probe.starts.size).toBe(calls.filter((_, i) => isKnown(plan, i)).length);
  const limits = parsedObject(plan.limits);
  for (const [name, peak] of probe.peak) {
    if (Object.hasOwn(limits, name)) expect(peak).toBeLessThanOrEqual(limits[name]!);
  }
  expect(probe.peakTotal).toBeLessThanOrEqual(plan.concurrency);
}

const numRuns = 300;

describe('names and ids are data', () => {
  it(`runToolBatch: registered prototype-key names run under their per-tool limit, unknown ones fail alone (${numRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        const probe = new Probe();
        const events: ToolBatchEmitted[] = [];
        const batch = runToolBatch(callsOf(plan), {
          tools: toolsFor(plan.registered, probe),
          policy: plan.policy,
          concurrency: plan.concurrency,
          perToolConcurrency: parsedObject(plan.limits),
          onEvent: (event) => events.push(event),
        });
        checkBatch(plan, await outputOf(batch, plan.policy), events, probe);
      }),
      { numRuns },
    );
  });

  it(`the batch machine with a router's runTool settles every slot as runToolBatch does (${numRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        const probe = new Probe();
        const events: ToolBatchEmitted[] = [];
        const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter(toolsFor(plan.registered, probe)).runTool } });
        const actor = createActor(machine, {
          input: { calls: callsOf(plan), options: { policy: plan.policy, concurrency: plan.concurrency, perToolConcurrency: parsedObject(plan.limits) } },
        });
        actor.on('*', (event) => events.push(event as ToolBatchEmitted));
        const output = await within(toPromise(actor.start()), 5_000, 'the batch machine');
        checkBatch(plan, output, events, probe);
      }),
      { numRuns },
    );
  });

  it('a limit given as JSON.parse(\'{"__proto__":1,"constructor":2}\') holds for the tools of those names', async () => {
    const probe = new Probe();
    const calls: ToolCall[] = ['__proto__', 'constructor', 'toString'].flatMap((name) =>
      [0, 1, 2, 3].map((i) => ({ id: `${name}${i}`, name, arguments: { turns: 3 } })),
    );
    const outputs = await within(
      runToolBatch(calls, {
        tools: toolsFor(['__proto__', 'constructor', 'toString'], probe),
        perToolConcurrency: JSON.parse('{"__proto__":1,"constructor":2}') as Record<string, number>,
      }),
      5_000,
      'the batch',
    );
    expect(outputs.map(outputJson)).toEqual(calls.map((call) => `${call.id}:${JSON.stringify(resultOf(call.name, call.id))}`));
    expect([...probe.peak]).toEqual([
      ['__proto__', 1],
      ['constructor', 2],
      ['toString', 4],
    ]);
  });
});

/** The assistant turn of a plan, as the model's JSON text parses to it. */
function assistantTurn(plan: Plan): AssistantMessage {
  const toolCalls = plan.calls.map(({ id, name, turns }) => ({ id, type: 'function', function: { name, arguments: argumentsText(turns) } }));
  return JSON.parse(JSON.stringify({ role: 'assistant', content: null, tool_calls: toolCalls })) as AssistantMessage;
}

/** The tool message of call `index` when it settled as the plan says (a settleAll reply for unknown ones). */
function replyOf(plan: Plan, index: number, failure?: { kind: string; message: string }): ChatMessage {
  const { id, name } = plan.calls[index]!;
  const content = failure !== undefined
    ? JSON.stringify({ error: failure })
    : isKnown(plan, index)
      ? resultJson(plan, index)
      : JSON.stringify({ error: { kind: 'unknownTool', message: unknownToolMessage(name, plan.registered) } });
  return { role: 'tool', tool_call_id: id, content };
}

const user: ChatMessage = { role: 'user', content: 'go' };
const agentRuns = 80;

describe('names and ids are data in the step layer and the agent', () => {
  it(`withParallelTools answers each call in tool_calls order, unknown ones with unknownTool (${agentRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        const probe = new Probe();
        const turnMessage = assistantTurn(plan);
        const step = withParallelTools(async (messages) => ({ type: 'next', messages: [...messages, turnMessage], invokedTools: [] }), {
          tools: toolsFor(plan.registered, probe),
          policy: plan.policy,
          concurrency: plan.concurrency,
          perToolConcurrency: parsedObject(plan.limits),
        });
        const allKnown = plan.calls.every((_, i) => isKnown(plan, i));
        const settled = await within(
          step([user]).then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
          5_000,
          'the step',
        );
        if (plan.policy === 'settleAll' || allKnown) {
          expect(settled).toEqual({
            ok: true,
            value: { type: 'next', messages: [user, turnMessage, ...plan.calls.map((_, i) => replyOf(plan, i))], invokedTools: plan.calls.map((call) => call.name) },
          });
        } else {
          expect(settled.ok).toBe(false);
          const error = (settled as { error: ToolBatchError }).error;
          expect(ToolBatchError.isInstance(error)).toBe(true);
          expect(error.failures.some((failure) => failure.kind === 'unknownTool')).toBe(true);
          // The replies gathered are those of the calls that succeeded, in tool_calls order.
          const succeeded = error.outputs.flatMap((output, i) => (output === undefined ? [] : [replyOf(plan, i)]));
          expect(error.messages).toEqual([user, turnMessage, ...succeeded]);
        }
        const limits = parsedObject(plan.limits);
        for (const [name, peak] of probe.peak) if (Object.hasOwn(limits, name)) expect(peak).toBeLessThanOrEqual(limits[name]!);
      }),
      { numRuns: agentRuns },
    );
  });

  it(`runAgent with the scripted model appends one tool message per call, unknown ones with unknownTool (${agentRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        const probe = new Probe();
        const turnMessage = assistantTurn(plan);
        const final: AssistantMessage = { role: 'assistant', content: 'done' };
        const result = await within(
          runAgent({
            model: createScriptedModel([turnMessage, final]),
            tools: toolsFor(plan.registered, probe),
            messages: [user],
            policy: plan.policy,
            concurrency: plan.concurrency,
            perToolConcurrency: parsedObject(plan.limits),
          }),
          5_000,
          'the agent',
        );
        const allKnown = plan.calls.every((_, i) => isKnown(plan, i));
        if (plan.policy === 'settleAll' || allKnown) {
          expect(result.error).toBeUndefined();
          expect([result.status, result.messages]).toEqual(['done', [user, turnMessage, ...plan.calls.map((_, i) => replyOf(plan, i)), final]]);
        } else {
          expect(result.status).toBe('failed');
          expect(result.error).toMatchObject({ kind: 'batch', policy: plan.policy });
          const failures = (result.error as { failures: ToolFailure[] }).failures;
          const unknown = plan.calls.flatMap((_, i) => (isKnown(plan, i) ? [] : [i]));
          if (plan.policy === 'joinAll') {
            expect(failures).toEqual(unknown.map((i) => unknownFailure(plan, i)));
          } else {
            expect(failures[0]!.kind).toBe('unknownTool');
            checkFailFastFailures(plan, failures);
          }
        }
      }),
      { numRuns: agentRuns },
    );
  });

  it(`resumeAgent takes decisions keyed by such ids, as JSON.parse gives them (${agentRuns} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        planArbitrary.chain((plan) => fc.record({ plan: fc.constant(plan), approve: fc.array(fc.boolean(), { minLength: plan.calls.length, maxLength: plan.calls.length }) })),
        async ({ plan: drawn, approve }) => {
          const plan: Plan = { ...drawn, policy: 'settleAll' };
          const probe = new Probe();
          const tools = toolsFor(plan.registered, probe, true);
          const turnMessage = assistantTurn(plan);
          const final: AssistantMessage = { role: 'assistant', content: 'done' };
          const model = createScriptedModel([turnMessage, final]);
          const options = { policy: 'settleAll' as const, concurrency: plan.concurrency, perToolConcurrency: parsedObject(plan.limits) };
          const paused = await within(runAgent({ model, tools, messages: [user], ...options }), 5_000, 'the agent');
          const known = plan.calls.flatMap((call, i) => (isKnown(plan, i) ? [call] : []));
          if (known.length === 0) {
            expect([paused.status, paused.messages]).toEqual(['done', [user, turnMessage, ...plan.calls.map((_, i) => replyOf(plan, i)), final]]);
            return;
          }
          expect(paused.status).toBe('awaitingApproval');
          if (paused.status !== 'awaitingApproval') return;
          expect(paused.pending).toEqual(known.map(({ id, name, turns }) => ({ id, name, arguments: JSON.parse(argumentsText(turns)) as unknown })));
          expect(probe.starts.size).toBe(0);
          const decisions = parsedObject(plan.calls.flatMap((call, i) => (isKnown(plan, i) ? [[call.id, approve[i]!] as const] : [])));
          const state = JSON.parse(JSON.stringify(paused.state)) as unknown;
          const done = await within(resumeAgent(state, { model, tools, decisions }), 5_000, 'the resumed agent');
          const replies = plan.calls.map((_, i) =>
            isKnown(plan, i) && !approve[i] ? replyOf(plan, i, { kind: 'denied', message: 'the call was denied: not approved' }) : replyOf(plan, i),
          );
          expect(done.error).toBeUndefined();
          expect([done.status, done.messages]).toEqual(['done', [user, turnMessage, ...replies, final]]);
          expect([...probe.starts.keys()].sort()).toEqual(plan.calls.filter((_, i) => isKnown(plan, i) && approve[i]).map((call) => call.id).sort());
        },
      ),
      { numRuns: agentRuns },
    );
  });
});

describe('run ids that are prototype keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'names-are-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])('a durable batch under run id %s checkpoints, and the same id gives the same result', async (runId) => {
    const store = createFileStore(dir);
    const probe = new Probe();
    const calls: ToolCall[] = [
      { id: '__proto__', name: 'constructor', arguments: { turns: 1 } },
      { id: 'constructor', name: '__proto__', arguments: { turns: 0 } },
      { id: 'toString', name: 'valueOf', arguments: { turns: 0 } },
    ];
    const tools = toolsFor(['constructor', '__proto__'], probe);
    const options = { tools, store, runId, policy: 'settleAll' as const, perToolConcurrency: JSON.parse('{"__proto__":1,"constructor":1}') as Record<string, number> };
    const first = await within(runToolBatch(calls, options), 5_000, 'the batch');
    const expected = [
      { ok: true, output: { id: '__proto__', result: resultOf('constructor', '__proto__') } },
      { ok: true, output: { id: 'constructor', result: resultOf('__proto__', 'constructor') } },
      { ok: false, failure: { index: 2, id: 'toString', name: 'valueOf', kind: 'unknownTool', message: unknownToolMessage('valueOf', ['constructor', '__proto__']), error: { name: 'ToolCallError', kind: 'unknownTool' } } },
    ];
    expect(JSON.parse(JSON.stringify(first))).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(typeof JSON.parse(readFileSync(join(dir, `${runId}.json`), 'utf8'))).toBe('object');
    const again = await within(runToolBatch(calls, options), 5_000, 'the batch again');
    expect(JSON.parse(JSON.stringify(again))).toEqual(JSON.parse(JSON.stringify(expected)));
    expect([...probe.starts]).toEqual([
      ['__proto__', 1],
      ['constructor', 1],
    ]);
  });

  it('a checkpoint taken mid-run restores under another run id and keeps the __proto__ limit', async () => {
    const store = createFileStore(dir);
    let running = 0;
    let peak = 0;
    const started: string[] = [];
    let release: (() => void) | undefined;
    const held = defineTool({
      name: '__proto__',
      description: 'holds its first call until the test releases it',
      parameters: z.object({}),
      execute: async (_args, { call }) => {
        running++;
        peak = Math.max(peak, running);
        started.push(call.id);
        if (release === undefined) await new Promise<void>((resolve) => (release = resolve));
        else await turn();
        running--;
        return call.id;
      },
    });
    const other = defineTool({ name: 'constructor', description: 'answers at once', parameters: z.object({}), execute: (_args, { call }) => call.id });
    const calls: ToolCall[] = [...['a', 'b', 'c', 'd'].map((id) => ({ id, name: '__proto__', arguments: {} })), { id: 'e', name: 'constructor', arguments: {} }];
    const options = { tools: [held, other], store, policy: 'joinAll' as const, perToolConcurrency: JSON.parse('{"__proto__":1}') as Record<string, number> };
    const first = runToolBatch(calls, { ...options, runId: 'mid-run' });
    for (let i = 0; i < 200 && release === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    // Wait for the checkpoint that holds e settled and a running.
    const checkpointFile = join(dir, 'mid-run.json');
    const settledE = (): boolean => {
      try {
        return readFileSync(checkpointFile, 'utf8').includes('"result":"e"');
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && !settledE(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
    copyFileSync(checkpointFile, join(dir, 'restored.json'));
    release!();
    const outputs = calls.map((call) => ({ id: call.id, result: call.id }));
    expect(await within(first, 5_000, 'the first run')).toEqual(outputs);
    expect([peak, started]).toEqual([1, ['a', 'b', 'c', 'd']]);
    peak = 0;
    started.length = 0;
    // The restored run re-runs a (it was running), then b, c, d one at a time; e stays settled.
    expect(await within(runToolBatch(calls, { ...options, runId: 'restored' }), 5_000, 'the restored run')).toEqual(outputs);
    expect([peak, started]).toEqual([1, ['a', 'b', 'c', 'd']]);
  });

  it('a durable agent pauses and resumes under run id constructor with decisions keyed by prototype keys', async () => {
    const agentDir = join(dir, 'agent');
    const store = createFileStore(agentDir);
    const probe = new Probe();
    const plan: Plan = {
      calls: ['__proto__', 'constructor', 'toString', 'hasOwnProperty'].map((id, i) => ({ id, name: i === 3 ? 'valueOf' : '__proto__', turns: 1 })),
      registered: ['__proto__'],
      limits: [['__proto__', 1]],
      policy: 'settleAll',
      concurrency: Infinity,
    };
    const tools = toolsFor(plan.registered, probe, true);
    const turnMessage = assistantTurn(plan);
    const final: AssistantMessage = { role: 'assistant', content: 'done' };
    const model = createScriptedModel([turnMessage, final]);
    const paused = await within(
      runAgent({ model, tools, messages: [user], store, runId: 'constructor', policy: 'settleAll', perToolConcurrency: parsedObject(plan.limits) }),
      5_000,
      'the agent',
    );
    expect(paused.status).toBe('awaitingApproval');
    const decisions = JSON.parse('{"__proto__":true,"constructor":{"approve":false,"reason":"no"},"toString":true}') as Record<string, boolean>;
    const state = JSON.parse(JSON.stringify((paused as { state: unknown }).state)) as unknown;
    const done = await within(resumeAgent(state, { model, tools, store, runId: 'constructor', decisions }), 5_000, 'the resumed agent');
    expect([done.status, done.messages]).toEqual([
      'done',
      [user, turnMessage, replyOf(plan, 0), replyOf(plan, 1, { kind: 'denied', message: 'the call was denied: no' }), replyOf(plan, 2), replyOf(plan, 3), final],
    ]);
    expect([[...probe.starts.keys()], probe.peak.get('__proto__')]).toEqual([['__proto__', 'toString'], 1]);
    expect(JSON.parse(readFileSync(join(agentDir, 'constructor.json'), 'utf8'))).toMatchObject({ version: 1, kind: 'agent' });
  });

  it('retries and approvals find the tool and the call by such a name and id', async () => {
    let attempts = 0;
    const flaky = defineTool({
      name: 'constructor',
      description: 'fails twice, then answers',
      parameters: z.object({}),
      retry: { attempts: 3, initialDelayMs: 1 },
      execute: () => {
        if (++attempts < 3) throw new Error('flaky');
        return attempts;
      },
    });
    const guarded = defineTool({ name: '__proto__', description: 'needs approval', parameters: z.object({}), needsApproval: true, execute: (_args, { call }) => `ran ${call.id}` });
    const asked: string[] = [];
    const outputs = await within(
      runToolBatch(
        [
          { id: '__proto__', name: 'constructor', arguments: {} },
          { id: 'toString', name: '__proto__', arguments: {} },
          { id: 'constructor', name: '__proto__', arguments: {} },
        ],
        {
          tools: [flaky, guarded],
          approve: (request) => {
            asked.push(request.id);
            return request.id === 'toString';
          },
          policy: 'settleAll',
          perToolConcurrency: JSON.parse('{"__proto__":1,"constructor":1}') as Record<string, number>,
        },
      ),
      5_000,
      'the batch',
    );
    expect(outputs.map((result) => (result.ok ? result.output : [result.failure.id, result.failure.kind, result.failure.message]))).toEqual([
      { id: '__proto__', result: 3 },
      { id: 'toString', result: 'ran toString' },
      ['constructor', 'denied', 'the call was denied: not approved'],
    ]);
    expect([attempts, asked]).toEqual([3, ['toString', 'constructor']]);
  });
});
