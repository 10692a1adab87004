/**
 * The agent loop with a `ChatModel` and tools plugged in: `createAgentMachine`
 * for XState users, `runAgent` as a promise.
 */
import { createActor, fromPromise, type InspectionEvent, type Observer } from 'xstate';
import {
  agentLoopMachine,
  cancelledError,
  type AgentLoopEmitted,
  type AgentLoopOutput,
  type ModelStepInput,
  type ModelStepOutput,
} from '../../machines/agent-loop.machine.js';
import { toolBatchMachine } from '../../machines/tool-batch.machine.js';
import { createWallClock, type ClockWithNow } from './clock.js';
import type { ChatModel } from '../models/chat-model.js';
import type { ChatMessage } from '../core/chat-format.js';
import { showValue } from '../core/options.js';
import type { BatchOptions } from '../core/schemas.js';
import { routerFrom, type ToolSource } from './tools.js';
import { actorPromise } from './actor-promise.js';

// Re-exported here for the progress view and the timeline, which consume the loop's events.
export type { AgentLoopEmitted, AgentLoopOutput } from '../../machines/agent-loop.machine.js';

/** Options of `createAgentMachine`: the model, and the tools (`tools` or `router`). */
export type AgentMachineOptions = ToolSource & {
  /** The model called once per step. */
  model: ChatModel;
};

/** Options of `runAgent`. */
export type RunAgentOptions = AgentMachineOptions &
  BatchOptions & {
    /** The conversation to continue. */
    messages: ChatMessage[];
    /** The most model calls. Type: integer ≥ 1 or `Infinity`. Default: 8. */
    maxSteps?: number;
    /** Aborting it cancels the run: the model request or the running tools are aborted. */
    signal?: AbortSignal;
    /**
     * Receives every progress event (`model.started`, `batch.started`, `call.settled`…).
     * If it throws, the run is cancelled and rejects with what it threw.
     */
    onEvent?: (event: AgentLoopEmitted) => void;
    /** XState's inspection observer, attached to the agent's actor system. */
    inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
    /** The actor system's clock. Default: `createWallClock()` (real timers, `now()` from the start). */
    clock?: ClockWithNow;
  };

/**
 * The agent loop machine with a model and tools provided.
 *
 * The model is called with the router's `toolSpecs` (or the machine input's
 * `tools`, when given) and the step's abort signal.
 *
 * @param options - `model` (a `ChatModel`) and `tools` or `router`.
 * @returns `agentLoopMachine`, provided; start it with `{ input: { messages, maxSteps?, options? } }`.
 * @example
 * ```ts
 * const machine = createAgentMachine({ model: createScriptedModel(turns), tools: [add] });
 * const output = await toPromise(createActor(machine, { input: { messages } }).start());
 * ```
 */
export function createAgentMachine(options: AgentMachineOptions): typeof agentLoopMachine {
  const { model } = options;
  if (typeof model !== 'object' || model === null || typeof model.complete !== 'function') {
    throw new TypeError(`Expected \`model\` to be a ChatModel with a \`complete\` method, got ${showValue(model)}`);
  }
  const router = routerFrom(options);
  return agentLoopMachine.provide({
    actors: {
      model: fromPromise<ModelStepOutput, ModelStepInput>(({ input, signal }) =>
        model.complete({ messages: input.messages, tools: input.tools ?? router.toolSpecs, signal }),
      ),
      toolBatch: toolBatchMachine.provide({ actors: { runTool: router.runTool } }),
    },
  });
}

/**
 * Runs the agent loop to its end: call the model, run each turn's tool calls
 * as one batch, repeat until a turn has no tool calls or `maxSteps` is reached.
 *
 * It resolves whenever the run ends, also when it failed (a model error, a
 * batch failed under `failFast`/`joinAll`, or `signal` aborted): check
 * `status`, and `error` for why; `messages` always holds the conversation so
 * far. It rejects only with a `TypeError` for invalid options, before the
 * model is called, and with what `onEvent` threw if it throws.
 *
 * @param options - `model`, `tools` or `router`, `messages`, `maxSteps`, the batch options
 *   (`concurrency`, `policy`, `timeoutMs`, `perToolConcurrency`), `signal`, `onEvent`, `inspect`, `clock`.
 * @returns `{ status: 'done' | 'failed' | 'stepLimitReached', messages, steps, error? }`.
 * @example
 * ```ts
 * const { status, messages } = await runAgent({
 *   model: createScriptedModel(turns),
 *   tools: [add],
 *   messages: [{ role: 'user', content: 'What is 1 + 2?' }],
 *   concurrency: 4,
 * });
 * ```
 */
export function runAgent(options: RunAgentOptions): Promise<AgentLoopOutput> {
  return new Promise((resolve, reject) => {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object with \`model\` and \`tools\`, got ${showValue(options)}`);
    }
    const { messages, maxSteps, concurrency, policy, timeoutMs, perToolConcurrency, signal, onEvent, inspect, clock } = options;
    const actor = createActor(createAgentMachine(options), {
      input: {
        messages,
        ...(maxSteps === undefined ? {} : { maxSteps }),
        options: { concurrency, policy, timeoutMs, perToolConcurrency },
      },
      clock: clock ?? createWallClock(),
      ...(inspect ? { inspect } : {}),
    });
    // Invalid input fails the machine's context function before anything runs.
    const initial = actor.getSnapshot();
    if (initial.status === 'error') throw initial.error;

    if (signal?.aborted) {
      // Nothing has run: end as a run cancelled before its first step, without calling the model.
      const { context } = initial;
      resolve({ status: 'failed', messages: context.messages, steps: [], error: cancelledError(context.step) });
      return;
    }
    resolve(actorPromise(actor, { signal, onEvent, cancelEvent: { type: 'agent.cancel' } }));
  });
}
