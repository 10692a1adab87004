/**
 * The agent loop with a `ChatModel` and tools plugged in: `createAgentMachine`
 * for XState users, `runAgent` as a promise.
 */
import { createActor, fromPromise, type InspectionEvent, type Observer } from 'xstate';
import {
  agentLoopMachine,
  cancelledError,
  type AgentLoopEmitted,
  type ModelStepInput,
  type ModelStepOutput,
} from '../../machines/agent-loop.machine.js';
import { toolBatchMachine } from '../../machines/tool-batch.machine.js';
import { createWallClock, type ClockWithNow } from './clock.js';
import type { ChatModel } from '../models/chat-model.js';
import type { ChatMessage } from '../core/chat-format.js';
import { batchOptionKeys, showValue } from '../core/options.js';
import { assertCallControl, type CallControl } from './call-control.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { assertRunHooks } from './run-options.js';
import type { BatchOptions } from '../core/schemas.js';
import { routerFrom, type ToolSource } from './tools.js';
import { runAgentActor, restoreAgent, type AgentRunResult, type ApprovalDecision } from './agent-run.js';
import { loadCheckpoint, owningRun, type Approver } from './durable.js';
import type { RunStore } from './run-store.js';
import type { ToolRunner } from './run-tool-batch.js';

// Re-exported here for the progress view and the timeline, which consume the loop's events.
export type { AgentLoopEmitted, AgentLoopOutput } from '../../machines/agent-loop.machine.js';

/**
 * Every option `runAgent` takes, in one place: any other key is a
 * `TypeError` naming the closest of these.
 */
export const runAgentOptionKeys: readonly string[] = [
  'model',
  'tools',
  'router',
  'messages',
  'maxSteps',
  ...batchOptionKeys,
  'signal',
  'onEvent',
  'inspect',
  'clock',
  'store',
  'leaseMs',
  'runId',
  'approve',
  'runner',
  'control',
];

/** Options of `createAgentMachine`: the model, and the tools (`tools` or `router`). */
export type AgentMachineOptions = ToolSource & {
  /** The model called once per step. */
  model: ChatModel;
  /** Runs calls somewhere else (a queue) instead of in this process. Default: the tools, here. */
  runner?: ToolRunner;
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
     * Cancels single calls of the step that runs tools: `control.cancel(id, reason?)` (see
     * `createCallControl`). The model then reads `{"error":{"kind":"cancelled","message"}}` for that
     * call, and a batch whose only failures are cancels does not fail the run. Default: none.
     */
    control?: CallControl;
    /**
     * Receives every progress event (`model.started`, `batch.started`, `call.settled`…).
     * If it throws, the run is cancelled and rejects with what it threw.
     */
    onEvent?: (event: AgentLoopEmitted) => void;
    /** XState's inspection observer, attached to the agent's actor system. */
    inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
    /** The actor system's clock. Default: `createWallClock()` (real timers, `now()` from the start). */
    clock?: ClockWithNow;
    /**
     * Decides each approval a tool asks for (`needsApproval`). Without it, the run **pauses**
     * when it can go no further without a decision: it resolves `{ status: 'awaitingApproval',
     * pending, state }`, and `resumeAgent(state, { decisions })` continues it. Default: none.
     */
    approve?: Approver;
    /** The run's id: tools get `idempotencyKey` `${runId}:${call.id}`; with `store`, the run resumes by it. */
    runId?: string;
    /** Where checkpoints go (needs `runId`), after every step: a run started again with the same id resumes. */
    store?: RunStore;
    /**
     * How long the run's lease in `store` lasts without a renewal, in ms: another process may
     * take the run over this long after its owner died (at once, with the file store, when the
     * owner ran on this host). Default: 30,000.
     */
    leaseMs?: number;
    /** Runs calls somewhere else (a queue) instead of in this process; `tools` still describe them to the model. */
    runner?: ToolRunner;
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
      toolBatch: toolBatchMachine.provide({ actors: { runTool: options.runner?.runTool ?? router.runTool } }),
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
export function runAgent(options: RunAgentOptions): Promise<AgentRunResult> {
  return new Promise((resolve) => {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object with \`model\` and \`tools\`, got ${showValue(options)}`);
    }
    // Every option is checked before the model is called: unknown keys and the hooks here,
    // the model and the tools in createAgentMachine, the rest in the machine's context.
    assertKnownKeys(options, runAgentOptionKeys);
    assertRunHooks(options);
    assertCallControl(options.control);
    const { messages, maxSteps, concurrency, policy, timeoutMs, perToolConcurrency, retry, signal, onEvent, inspect, clock, approve, store, runId, leaseMs, control } = options;
    const machine = createAgentMachine(options);
    const input = {
      messages,
      ...(maxSteps === undefined ? {} : { maxSteps }),
      options: { concurrency, policy, timeoutMs, perToolConcurrency, ...(retry === undefined ? {} : { retry }) },
      ...(runId === undefined ? {} : { runId }),
    };
    const actorOptions = { clock: clock ?? createWallClock(), ...(inspect ? { inspect } : {}) };
    const actor = createActor(machine, { input, ...actorOptions });
    // Invalid input fails the machine's context function before anything runs.
    const initial = actor.getSnapshot();
    if (initial.status === 'error') throw initial.error;

    if (signal?.aborted) {
      // Nothing has run: end as a run cancelled before its first step, without calling the model.
      const { context } = initial;
      resolve({ status: 'failed', messages: context.messages, steps: [], error: cancelledError(context.step) });
      return;
    }
    resolve(
      owningRun({ store, runId, leaseMs }, async (held) => {
        const hooks = { signal, onEvent: onEvent as never, approve, store, runId, held, control };
        const saved = held === undefined ? undefined : await loadCheckpoint(store!, runId!, 'agent');
        return runAgentActor(saved === undefined ? actor : restoreAgent(machine, saved, actorOptions), hooks);
      }),
    );
  });
}

/** Options of `resumeAgent`: those of `runAgent` but the conversation, and the decisions. */
export type ResumeAgentOptions = Omit<RunAgentOptions, 'messages' | 'maxSteps' | keyof BatchOptions> & {
  /** Per pending call id: `true` approves it, `false` or `{ approve: false, reason }` denies it. Calls left out keep waiting. */
  decisions?: Record<string, ApprovalDecision>;
};

/**
 * Continues a run that paused for approvals, from its `state`, in this process or another.
 *
 * @param state - the paused run's `state` (plain JSON; `JSON.parse` of a stored string is fine).
 * @param options - the same `model` and `tools` (or `router`, `runner`), the `decisions`, and the hooks.
 * @returns like `runAgent`: the output, or another pause when calls still wait.
 * @example
 * ```ts
 * const paused = await runAgent({ model, tools, messages });
 * if (paused.status === 'awaitingApproval') {
 *   const done = await resumeAgent(paused.state, { model, tools, decisions: { call_2: true, call_3: false } });
 * }
 * ```
 */
export function resumeAgent(state: unknown, options: ResumeAgentOptions): Promise<AgentRunResult> {
  return new Promise((resolve) => {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object with \`model\` and \`tools\`, got ${showValue(options)}`);
    const { decisions, ...rest } = options;
    assertKnownKeys(rest, runAgentOptionKeys);
    assertRunHooks(rest);
    assertCallControl(rest.control);
    if (decisions !== undefined && (typeof decisions !== 'object' || decisions === null || Array.isArray(decisions))) {
      throw new TypeError(`Expected \`decisions\` to be an object of call id to true or false, got ${showValue(decisions)}`);
    }
    const { signal, onEvent, inspect, clock, approve, store, runId, leaseMs, control } = rest;
    const actor = restoreAgent(createAgentMachine(rest as AgentMachineOptions), state, { clock: clock ?? createWallClock(), ...(inspect ? { inspect } : {}) });
    resolve(owningRun({ store, runId, leaseMs }, (held) => runAgentActor(actor, { signal, onEvent: onEvent as never, approve, store, runId, decisions, held, control })));
  });
}
