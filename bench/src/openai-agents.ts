/**
 * The OpenAI Agents SDK: a `Runner` with `toolExecution.maxFunctionToolConcurrency`
 * and a fake model whose first response holds K function calls and whose
 * second is a final message. The timing starts when the first response is
 * handed back and stops when the runner asks the model again with the tool
 * outputs: the tool-execution part of one turn. A tool's error is sent back
 * to the model as the call's output (the SDK's default), not a rejection.
 */
import {
  Agent,
  Runner,
  setTracingDisabled,
  tool,
  Usage,
  type Model,
  type ModelResponse,
  type RunToolCallOutputItem,
} from '@openai/agents';
import { z } from 'zod';
import { indices, type Outcome, type System } from './job.js';

setTracingDisabled(true);

class FakeModel implements Model {
  handedBack = 0;
  askedAgain = 0;
  private turn = 0;
  constructor(private readonly calls: ModelResponse['output']) {}

  async getResponse(): Promise<ModelResponse> {
    if (this.turn++ % 2 === 0) {
      this.handedBack = performance.now();
      return { usage: new Usage(), output: this.calls, responseId: `resp_${this.turn}` };
    }
    this.askedAgain = performance.now();
    return {
      usage: new Usage(),
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'done' }],
        },
      ],
      responseId: `resp_${this.turn}`,
    };
  }

  getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not used');
  }
}

export const openAiAgentsSystem: System = {
  prepare: ({ k, concurrency, body }) => {
    const noop = tool({
      name: 'noop',
      description: 'Resolves with its index',
      parameters: z.object({ i: z.number() }),
      execute: async ({ i }) => String(await body(i)),
    });
    const model = new FakeModel(
      indices(k).map((i) => ({
        type: 'function_call' as const,
        callId: `call_${i}`,
        name: 'noop',
        arguments: JSON.stringify({ i }),
        status: 'completed' as const,
      })),
    );
    const agent = new Agent({ name: 'bench', instructions: 'Run the tools.', model, tools: [noop] });
    const runner = new Runner({
      tracingDisabled: true,
      toolExecution: { maxFunctionToolConcurrency: concurrency === Infinity ? null : concurrency },
    });
    return {
      run: async (): Promise<Outcome> => {
        try {
          const result = await runner.run(agent, 'Run the tools.', { maxTurns: 2 });
          const ms = model.askedAgain - model.handedBack;
          const values = result.newItems
            .filter((item): item is RunToolCallOutputItem => item.type === 'tool_call_output_item')
            .map((item) => (typeof item.output === 'string' && /^\d+$/.test(item.output) ? Number(item.output) : 'error'));
          return { ms, rejected: false, values };
        } catch {
          return { ms: performance.now() - model.handedBack, rejected: true, values: undefined };
        }
      },
    };
  },
};
