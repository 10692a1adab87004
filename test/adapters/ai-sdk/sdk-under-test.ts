import { ToolCallError } from 'xstate-parallel-tools';

/**
 * The parts of one AI SDK major the scenarios use, and a scripted model made
 * with that major's own test double (`MockLanguageModelV3` / `V4` from `ai/test`).
 */

/** One content part of a step, as the scenarios read it. */
export interface StepPart {
  type: string;
  toolCallId?: string;
  error?: unknown;
}

/** What the scenarios read from `generateText`'s result. */
export interface GenerateResultLike {
  text: string;
  steps: Array<{ content: StepPart[] }>;
  toolCalls: Array<{ toolCallId: string; toolName: string; input: unknown; invalid?: boolean }>;
  response: { messages: unknown[] };
}

/** One SDK major, bound by the test that runs the scenarios. */
export interface SdkUnderTest {
  label: string;
  generateText(options: Record<string, unknown>): Promise<GenerateResultLike>;
  streamText(options: Record<string, unknown>): { text: PromiseLike<string> };
  simulateReadableStream(options: { chunks: unknown[] }): ReadableStream<unknown>;
  stepCountIs(count: number): unknown;
  MockLanguageModel: new (options: {
    doGenerate?: (options: { prompt: unknown[] }) => Promise<unknown>;
    doStream?: (options: { prompt: unknown[] }) => Promise<unknown>;
  }) => object;
}

/** A model step: tool calls `[toolCallId, toolName, input]`, or a final text. */
export type ScriptStep = { calls: Array<[string, string, unknown]> } | { text: string };

export const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/**
 * The stream parts of one streamed step: on the first step, these tool calls
 * (each input sent as JSON); on any later step, the answer "done".
 */
export function streamedStep(step: number, calls: ReadonlyArray<{ id: string; toolName: string; input: unknown }>): unknown[] {
  if (step === 1) {
    return [
      { type: 'stream-start', warnings: [] },
      ...calls.map(({ id, toolName, input }) => ({ type: 'tool-call', toolCallId: id, toolName, input: JSON.stringify(input) })),
      { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage },
    ];
  }
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    { type: 'text-delta', id: 't', delta: 'done' },
    { type: 'text-end', id: 't' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
  ];
}

/**
 * A model that answers each request with the next scripted step and keeps
 * every prompt it was sent.
 */
export function scriptedModel(sdk: SdkUnderTest, steps: ScriptStep[]): { model: object; prompts: unknown[][] } {
  const prompts: unknown[][] = [];
  const model = new sdk.MockLanguageModel({
    doGenerate: async ({ prompt }) => {
      prompts.push(prompt);
      const step = steps[prompts.length - 1];
      if (step === undefined) throw new Error(`the script has no step ${prompts.length}`);
      if ('text' in step) {
        return { content: [{ type: 'text', text: step.text }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] };
      }
      return {
        content: step.calls.map(([toolCallId, toolName, input]) => ({ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) })),
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage,
        warnings: [],
      };
    },
  });
  return { model, prompts };
}

interface PromptMessage {
  role: string;
  content: Array<{ type: string; toolCallId?: string; output?: unknown }> | string;
}

/**
 * The tool results the model received in a prompt, in prompt order, as
 * `[toolCallId, output]`: those after the prompt's last assistant message.
 */
export function toolResultsInPrompt(prompt: unknown[] | undefined): Array<[string | undefined, unknown]> {
  const messages = (prompt ?? []) as PromptMessage[];
  const lastAssistant = messages.map((message) => message.role).lastIndexOf('assistant');
  return messages
    .slice(lastAssistant + 1)
    .filter((message) => message.role === 'tool' && Array.isArray(message.content))
    .flatMap((message) => (message.content as Array<{ type: string; toolCallId?: string; output?: unknown }>))
    .filter((part) => part.type === 'tool-result')
    .map((part) => [part.toolCallId, part.output]);
}

/** The tool errors of a step, as `[toolCallId, kind, is a ToolCallError]`. */
export function toolErrorsOf(parts: StepPart[] | undefined): Array<[string | undefined, unknown, boolean]> {
  return (parts ?? [])
    .filter((part) => part.type === 'tool-error')
    .map((part) => {
      const error = part.error as { kind?: unknown } | undefined;
      return [part.toolCallId, error?.kind, ToolCallError.isInstance(part.error)];
    });
}
