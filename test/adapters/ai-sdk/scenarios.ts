/**
 * The adapter's behaviour against one AI SDK major, as scenarios that return
 * plain values. The vitest file runs them in process for each major and
 * asserts exact values; a fixture runs the same scenarios under Node 22 with
 * major 7 and prints them, and the vitest file asserts that output too.
 */
import { z } from 'zod';
import { defineTool, ToolCallError } from 'xstate-parallel-tools';
import { runAiSdkToolCalls, toAiSdkTools, withParallelToolSet } from 'xstate-parallel-tools/ai-sdk';
import { createGates, type Gates } from './gates.js';
import { scriptedModel, streamedStep, toolErrorsOf, toolResultsInPrompt, usage, type SdkUnderTest } from './sdk-under-test.js';

/** An AI SDK tool whose body waits at a gate; `fail` ids throw when released. */
function gatedTool(gates: Gates, name: string) {
  return {
    description: `${name} (settled by the test)`,
    inputSchema: z.object({ key: z.string() }),
    execute: async ({ key }: { key: string }, { abortSignal }: { abortSignal?: AbortSignal }) =>
      gates.enter(key, name, abortSignal, `value-${key}`),
  };
}

/**
 * Lets every timer and callback that is already due run, so that a call that
 * should stay queued would have started by now if it were wrongly admitted.
 */
async function drain(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Ends when the promise settles, whichever way, so a scenario can record how. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return `rejected: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The SDK's loop, the tool set wrapped: four calls under `concurrency: 2`, released in reverse. */
export async function orderAndPeak(sdk: SdkUnderTest) {
  const gates = createGates();
  const { model, prompts } = scriptedModel(sdk, [
    { calls: ['a', 'b', 'c', 'd'].map((key) => [key, 'lookup', { key }]) },
    { text: 'done' },
  ]);
  const run = sdk.generateText({
    model,
    prompt: 'look up a, b, c, d',
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet({ lookup: gatedTool(gates, 'lookup') }, { concurrency: 2, policy: 'joinAll' }),
  });
  await gates.startedCount(2);
  await drain();
  const startedWhenFull = [...gates.started];
  gates.release('b');
  await gates.startedCount(3);
  gates.release('a');
  await gates.startedCount(4);
  gates.release('d');
  gates.release('c');
  const result = await run;
  return {
    startedWhenFull,
    started: gates.started,
    finished: gates.finished,
    peak: gates.peak,
    modelSaw: toolResultsInPrompt(prompts[1]),
    text: result.text,
  };
}

/** `perToolConcurrency: { search: 1 }` under `concurrency: 3`. */
export async function perToolLimit(sdk: SdkUnderTest) {
  const gates = createGates();
  const { model, prompts } = scriptedModel(sdk, [
    { calls: [['s1', 'search', { key: 's1' }], ['s2', 'search', { key: 's2' }], ['l1', 'lookup', { key: 'l1' }]] },
    { text: 'done' },
  ]);
  const run = sdk.generateText({
    model,
    prompt: 'search twice, look up once',
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet(
      { search: gatedTool(gates, 'search'), lookup: gatedTool(gates, 'lookup') },
      { concurrency: 3, perToolConcurrency: { search: 1 } },
    ),
  });
  await gates.startedCount(2);
  await drain();
  const startedFirst = [...gates.started];
  gates.release('s1');
  await gates.startedCount(3);
  gates.release('l1');
  gates.release('s2');
  await run;
  return { startedFirst, started: gates.started, peakByTool: gates.peakByTool, modelSaw: toolResultsInPrompt(prompts[1]) };
}

/** `settleAll`: one tool throws; the model gets its error and the other results. */
export async function settleAllFailure(sdk: SdkUnderTest) {
  const { model, prompts } = scriptedModel(sdk, [
    { calls: [['ok1', 'lookup', { key: 'ok1' }], ['bad', 'boom', {}], ['ok2', 'lookup', { key: 'ok2' }]] },
    { text: 'done' },
  ]);
  const result = await sdk.generateText({
    model,
    prompt: 'go',
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet(
      {
        lookup: { inputSchema: z.object({ key: z.string() }), execute: async ({ key }: { key: string }) => ({ key }) },
        boom: {
          inputSchema: z.object({}),
          execute: async () => {
            throw new Error('kaboom');
          },
        },
      },
      { policy: 'settleAll' },
    ),
  });
  return { modelSaw: toolResultsInPrompt(prompts[1]), toolErrors: toolErrorsOf(result.steps[0]?.content), text: result.text };
}

/** `failFast` under `concurrency: 2`: the failure aborts the running sibling; the queued call never starts. */
export async function failFastAbortsSibling(sdk: SdkUnderTest) {
  const gates = createGates();
  const { model, prompts } = scriptedModel(sdk, [
    { calls: [['slow', 'lookup', { key: 'slow' }], ['bad', 'lookup', { key: 'bad' }], ['queued', 'lookup', { key: 'queued' }]] },
    { text: 'done' },
  ]);
  const run = sdk.generateText({
    model,
    prompt: 'go',
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet({ lookup: gatedTool(gates, 'lookup') }, { concurrency: 2, policy: 'failFast' }),
  });
  await gates.startedCount(2);
  await drain();
  gates.release('bad', new Error('kaboom'));
  const result = await run;
  return {
    started: gates.started,
    abortReasons: gates.abortReasons,
    modelSaw: toolResultsInPrompt(prompts[1]),
    toolErrors: toolErrorsOf(result.steps[0]?.content),
  };
}

/** `timeoutMs`: the tool's signal aborts with a TimeoutError and the call fails with kind `timeout`. */
export async function timeout(sdk: SdkUnderTest) {
  const gates = createGates();
  const { model, prompts } = scriptedModel(sdk, [{ calls: [['hang', 'lookup', { key: 'hang' }]] }, { text: 'done' }]);
  const result = await sdk.generateText({
    model,
    prompt: 'go',
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet({ lookup: gatedTool(gates, 'lookup') }, { timeoutMs: 30, policy: 'settleAll' }),
  });
  return { abortReasons: gates.abortReasons, modelSaw: toolResultsInPrompt(prompts[1]), toolErrors: toolErrorsOf(result.steps[0]?.content) };
}

/** The SDK's `abortSignal` cancels the batch: the running tool's signal fires and the queued call never starts. */
export async function sdkAbortCancelsBatch(sdk: SdkUnderTest) {
  const gates = createGates();
  const controller = new AbortController();
  const { model } = scriptedModel(sdk, [{ calls: [['first', 'lookup', { key: 'first' }], ['second', 'lookup', { key: 'second' }]] }, { text: 'done' }]);
  const run = sdk.generateText({
    model,
    prompt: 'go',
    abortSignal: controller.signal,
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet({ lookup: gatedTool(gates, 'lookup') }, { concurrency: 1, policy: 'settleAll' }),
  });
  await gates.startedCount(1);
  await drain();
  controller.abort(new Error('stopped by the user'));
  const ended = await outcome(run);
  return { ended, started: gates.started, abortReasons: gates.abortReasons };
}

/** `streamText` hands a step's calls over after the model's finish: one batch, results in order. */
export async function streamTextOneBatch(sdk: SdkUnderTest) {
  const batches: string[][] = [];
  let current: string[] = [];
  const prompts: unknown[][] = [];
  const model = new sdk.MockLanguageModel({
    doStream: async ({ prompt }) => {
      prompts.push(prompt);
      const chunks = streamedStep(prompts.length, ['a', 'b', 'c'].map((key) => ({ id: key, toolName: 'lookup', input: { key } })));
      return { stream: sdk.simulateReadableStream({ chunks }) };
    },
  });
  const lookup = { inputSchema: z.object({ key: z.string() }), execute: async ({ key }: { key: string }) => `value-${key}` };
  const result = sdk.streamText({
    model,
    prompt: 'go',
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet(
      { lookup },
      {
        concurrency: 1,
        onEvent: (event) => {
          if (event.type === 'call.started') current.push(event.id);
          if (event.type === 'batch.settled') {
            batches.push(current);
            current = [];
          }
        },
      },
    ),
  });
  return { text: await result.text, batches, modelSaw: toolResultsInPrompt(prompts[1]) };
}

/** Two runs share one wrapped tool set, with the same call ids: each step is its own batch. */
export async function twoRunsShareOneToolSet(sdk: SdkUnderTest) {
  const batches: string[][] = [];
  let settledCalls: string[] = [];
  const tools = withParallelToolSet(
    { lookup: { inputSchema: z.object({ key: z.string() }), execute: async ({ key }: { key: string }) => `value-${key}` } },
    {
      onEvent: (event) => {
        if (event.type === 'call.settled') settledCalls.push(event.id);
        if (event.type === 'batch.settled') {
          batches.push(settledCalls);
          settledCalls = [];
        }
      },
    },
  );
  const first = scriptedModel(sdk, [{ calls: [['call_1', 'lookup', { key: 'x' }], ['call_2', 'lookup', { key: 'y' }]] }, { text: 'first done' }]);
  const second = scriptedModel(sdk, [{ calls: [['call_1', 'lookup', { key: 'z' }]] }, { text: 'second done' }]);
  const [one, two] = await Promise.all([
    sdk.generateText({ model: first.model, prompt: 'one', stopWhen: sdk.stepCountIs(3), tools }),
    sdk.generateText({ model: second.model, prompt: 'two', stopWhen: sdk.stepCountIs(3), tools }),
  ]);
  return {
    texts: [one.text, two.text],
    batchSizes: batches.map((batch) => batch.length).sort(),
    firstSaw: toolResultsInPrompt(first.prompts[1]),
    secondSaw: toolResultsInPrompt(second.prompts[1]),
  };
}

/** A call that needs approval never reaches `execute`: the others of its step run as the batch, without it. */
export async function approvalLeavesOthersRunning(sdk: SdkUnderTest) {
  const started: string[] = [];
  const { model } = scriptedModel(sdk, [{ calls: [['a', 'safe', { key: 'a' }], ['b', 'risky', { key: 'b' }], ['c', 'safe', { key: 'c' }]] }, { text: 'done' }]);
  const echo = { inputSchema: z.object({ key: z.string() }), execute: async ({ key }: { key: string }) => key };
  const result = await sdk.generateText({
    model,
    prompt: 'go',
    stopWhen: sdk.stepCountIs(3),
    tools: withParallelToolSet(
      { safe: echo, risky: { ...echo, needsApproval: true } },
      { onEvent: (event) => void (event.type === 'call.started' && started.push(event.id)) },
    ),
  });
  const parts = (result.steps[0]?.content ?? []) as Array<{ type: string; toolCallId?: string; toolCall?: { toolCallId: string } }>;
  return { started, parts: parts.map((part) => [part.type, part.toolCallId ?? part.toolCall?.toolCallId]) };
}

/** Our own loop: `toAiSdkTools` declares the tools, `runAiSdkToolCalls` answers each step. */
export async function ownLoop(sdk: SdkUnderTest) {
  const gates = createGates();
  const weather = defineTool({
    name: 'weather',
    description: 'Current temperature of a city',
    parameters: z.object({ city: z.string().transform((city) => city.toUpperCase()) }),
    execute: async ({ city }, { signal, call }) => {
      await gates.enter(call.id, 'weather', signal, null);
      if (city === 'ATLANTIS') throw new Error('no weather station in ATLANTIS');
      return { city, celsius: city.length * 3 };
    },
  });
  const tools = [weather];
  const { model, prompts } = scriptedModel(sdk, [
    {
      calls: [
        ['w1', 'weather', { city: 'Oslo' }],
        ['w2', 'weather', { city: 'Atlantis' }],
        ['w3', 'weather', { city: 5 }],
        ['w4', 'nope', {}],
        ['w5', 'weather', { city: 'Lima' }],
      ],
    },
    { text: 'done' },
  ]);
  const messages: unknown[] = [{ role: 'user', content: 'weather please' }];
  const first = await sdk.generateText({ model, messages, tools: toAiSdkTools(tools) });
  const answer = runAiSdkToolCalls(first.toolCalls, { tools, concurrency: 2, policy: 'settleAll' });
  await gates.startedCount(2);
  await drain();
  const startedWhenFull = [...gates.started];
  gates.release('w2');
  await gates.startedCount(3);
  gates.release('w1');
  gates.release('w5');
  const toolMessage = await answer;
  messages.push(...first.response.messages, toolMessage);
  const second = await sdk.generateText({ model, messages, tools: toAiSdkTools(tools) });
  return {
    startedWhenFull,
    peak: gates.peak,
    schemaSent: await firstToolsSent(sdk),
    toolMessage,
    modelSaw: toolResultsInPrompt(prompts[1]),
    text: second.text,
  };
}

/** The JSON Schema the model is sent for a `toAiSdkTools` tool. */
async function firstToolsSent(sdk: SdkUnderTest): Promise<unknown> {
  let sent: unknown;
  const model = new sdk.MockLanguageModel({
    doGenerate: async (options) => {
      sent = (options as { tools?: unknown }).tools;
      return { content: [{ type: 'text', text: 'ok' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] };
    },
  });
  const weather = defineTool({ name: 'weather', description: 'Current temperature of a city', parameters: z.object({ city: z.string() }), execute: () => null });
  await sdk.generateText({ model, prompt: 'hi', tools: toAiSdkTools([weather]) });
  return sent;
}

/** `runAiSdkToolCalls` under `joinAll` and `failFast`: a failed batch still answers every call. */
export async function ownLoopJoinAll(sdk: SdkUnderTest) {
  const boom = defineTool({
    name: 'boom',
    description: 'fails',
    parameters: z.object({}),
    execute: () => {
      throw new ToolCallError('invalidResult', 'not today');
    },
  });
  const echo = defineTool({ name: 'echo', description: 'echoes', parameters: z.object({ text: z.string() }), execute: ({ text }) => text });
  const { model } = scriptedModel(sdk, [{ calls: [['e1', 'echo', { text: 'hi' }], ['b1', 'boom', {}], ['e2', 'echo', { text: 'there' }]] }]);
  const step = await sdk.generateText({ model, prompt: 'go', tools: toAiSdkTools([boom, echo]) });
  return {
    joinAll: await runAiSdkToolCalls(step.toolCalls, { tools: [boom, echo], policy: 'joinAll' }),
    // One at a time: the failure of b1 leaves e2 queued, and failFast never starts it.
    failFast: await runAiSdkToolCalls(step.toolCalls, { tools: [boom, echo], policy: 'failFast', concurrency: 1 }),
  };
}

/** Every scenario, by name. */
export const scenarios = {
  orderAndPeak,
  perToolLimit,
  settleAllFailure,
  failFastAbortsSibling,
  timeout,
  sdkAbortCancelsBatch,
  streamTextOneBatch,
  twoRunsShareOneToolSet,
  approvalLeavesOthersRunning,
  ownLoop,
  ownLoopJoinAll,
};
