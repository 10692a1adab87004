/**
 * A scripted model for the OpenAI Agents SDK: an implementation of the SDK's
 * public `Model` interface that answers each request with the next scripted
 * turn, and keeps a copy of what each request sent.
 */
import { Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';

/** One function call the model asks for. */
export interface ScriptedCall {
  callId: string;
  name: string;
  /** Sent as is when a string, else as its JSON. */
  arguments: unknown;
}

/** One turn: function calls to ask for, or the final text. */
export type ScriptedTurn = ScriptedCall[] | string;

/** A function call's output as a request carried it back to the model. */
export interface SeenOutput {
  callId: string;
  output: unknown;
}

/** A `Model` that plays a script, one turn per request. */
export class ScriptedAgentModel implements Model {
  /** The input of each request, copied when it was made. */
  readonly inputs: unknown[][] = [];
  /** The tools each request offered the model, copied when it was made. */
  readonly tools: unknown[][] = [];

  constructor(private readonly turns: readonly ScriptedTurn[]) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const input = typeof request.input === 'string' ? [request.input] : request.input;
    this.inputs.push(JSON.parse(JSON.stringify(input)) as unknown[]);
    this.tools.push(JSON.parse(JSON.stringify(request.tools)) as unknown[]);
    const index = this.inputs.length - 1;
    const turn = this.turns[index];
    if (turn === undefined) throw new Error(`the script has no turn ${index}`);
    if (typeof turn === 'string') {
      return {
        usage: new Usage(),
        responseId: `resp_${index}`,
        output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn }] }],
      };
    }
    return {
      usage: new Usage(),
      responseId: `resp_${index}`,
      output: turn.map((call) => ({
        type: 'function_call' as const,
        callId: call.callId,
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        status: 'completed' as const,
      })),
    };
  }

  getStreamedResponse(): AsyncIterable<never> {
    throw new Error('the scripted model does not stream');
  }

  /** The function call outputs that request `index` carried back, in the order it sent them. */
  outputsSentIn(index: number): SeenOutput[] {
    const input = this.inputs[index] ?? [];
    return input
      .filter((item): item is { type: string; callId: string; output: unknown } =>
        typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'function_call_result',
      )
      .map(({ callId, output }) => ({ callId, output }));
  }
}
