/**
 * # The agent loop: call the model, run its tool calls as one batch, repeat
 *
 * ## What this module provides
 * `agentLoopMachine`: from a conversation, it calls the model; when the
 * assistant's turn has `tool_calls`, it runs them as one batch under
 * `BatchOptions`, appends the tool messages in `tool_calls` order and calls
 * the model again, until a turn without tool calls (`done`), `maxSteps` model
 * calls (`stepLimitReached`), or an error (`failed`).
 *
 * ## Exports
 * - `agentLoopMachine`, `defaultMaxSteps`, `cancelledError`
 * - `AgentLoopInput`, `AgentLoopContext`, `AgentLoopEvent`, `AgentLoopEmitted`,
 *   `AgentLoopOutput`, `AgentLoopError`, `StepUsage`, `ModelStepInput`, `ModelStepOutput`
 *   (defined in agent-loop.types.ts, to keep this file short)
 *
 * ## Implementation strategy
 * - `callingModel` invokes the `model` actor (a promise actor; stopping it on
 *   `agent.cancel` aborts its signal). `runningTools` invokes `toolBatch`, the
 *   batch machine, as a child: each turn is one batch.
 * - XState does not forward a child's `emit` to its parent, and an invoked
 *   child's first events happen while it starts, before a parent could call
 *   `.on()` on it. So the batch is invoked with `notifyParent: true`: it sends
 *   every progress event to this machine as an event, from its first
 *   admission on, and `reEmitBatchEvent` emits each again with `step` added.
 * - Failures are data: a model error, a malformed turn, a failed batch and a
 *   cancel all end in `failed` with an `AgentLoopError` and the conversation
 *   so far (the replies of the calls that succeeded included). A turn is
 *   checked before anything reads it (`isMalformedTurn`): a model that
 *   resolves `undefined`, `{ message: null }` or `tool_calls` that are not an
 *   array ends the run with kind `invalidModelOutput`, the turn left out of
 *   the conversation; a single malformed call fails alone in the batch.
 *   Under `settleAll` a failed call is a `{"error":{kind,message}}` tool
 *   message and the loop goes on.
 * - `call.cancel` is forwarded to the running batch (`forwardCancel`). A
 *   cancel is the user's choice, not a tool's failure: a batch whose only
 *   failures are cancelled calls does not fail the run, and each cancelled
 *   call answers the model with `{"error":{"kind":"cancelled","message"}}`,
 *   the reason in the message.
 * - Time (`at`) comes from the actor system's clock, counted from the run's
 *   start; re-emitted batch events keep the batch's own `at`, which counts from
 *   the batch's start.
 *
 * ## Composition
 * Provide the model and the tools:
 * `agentLoopMachine.provide({ actors: { model, toolBatch: toolBatchMachine.provide({ actors: { runTool } }) } })`;
 * src/agent.ts does this from a `ChatModel` and tools (`createAgentMachine`)
 * and wraps it in a promise (`runAgent`). Message conversion comes from
 * src/openai-format.ts, which is pure data and does no I/O.
 *
 * ## Testing strategy
 * test/agent-loop.machine.test.ts runs the loop end to end on the scripted
 * model with deferred tools and `SimulatedClock`, and asserts the exact
 * conversation, output and the exact sequence of emitted events.
 */
import { assertEvent, assign, emit, fromPromise, sendTo, setup } from 'xstate';
import { clockNow } from './xstate-internals.js';
import { resolveBatchOptions, showValue } from '../src/core/options.js';
import { toToolCalls, toToolMessages } from '../src/core/chat-format.js';
import { describeError } from '../src/core/describe.js';
import { modelOutputProblem } from '../src/core/model-turn.js';
import type {
  AgentLoopContext,
  AgentLoopEmitted,
  AgentLoopError,
  AgentLoopEvent,
  AgentLoopInput,
  AgentLoopOutput,
  ModelStepInput,
  ModelStepOutput,
  StepUsage,
} from './agent-loop.types.js';
import { toolBatchMachine, type ToolBatchOutput } from './tool-batch.machine.js';

export type * from './agent-loop.types.js';

/** The default `maxSteps`: the most model calls in one run. */
export const defaultMaxSteps = 8;

const noModelProvided = fromPromise<ModelStepOutput, ModelStepInput>(async () => {
  throw new Error('No model was provided: agentLoopMachine.provide({ actors: { model } })');
});

/**
 * The error of a run cancelled at `step`.
 *
 * @param step - the step the run was at.
 * @returns `{ kind: 'cancelled', step, message }`.
 * @example
 * ```ts
 * cancelledError(2); // { kind: 'cancelled', step: 2, message: 'The agent was cancelled at step 2' }
 * ```
 */
export function cancelledError(step: number): Extract<AgentLoopError, { kind: 'cancelled' }> {
  return { kind: 'cancelled', step, message: `The agent was cancelled at step ${step}` };
}

function assertMaxSteps(maxSteps: unknown): asserts maxSteps is number {
  if (maxSteps !== Infinity && !(typeof maxSteps === 'number' && Number.isInteger(maxSteps) && maxSteps >= 1)) {
    throw new TypeError(`Expected \`maxSteps\` to be an integer from 1 and up or \`Infinity\`, got ${showValue(maxSteps)}`);
  }
}

/**
 * The per-call outcomes of a batch output, in call order, for `toToolMessages`.
 * A cancelled call answers with its failure (`{"error":{"kind":"cancelled",…}}`),
 * so the model reads that it was cancelled and why.
 */
function outcomesOf(output: ToolBatchOutput): Parameters<typeof toToolMessages>[1] {
  if ('results' in output) return output.results;
  if (output.status !== 'failed') return output.outputs;
  const cancelled = new Map(output.failures.filter((failure) => failure.kind === 'cancelled').map((failure) => [failure.index, failure]));
  if (cancelled.size === 0) return output.outputs;
  return output.outputs.map((out, index) => {
    const failure = cancelled.get(index);
    return failure === undefined ? out : { ok: false as const, failure };
  });
}

/** Whether a failed batch failed only because calls were cancelled: the user's choice, so the run goes on. */
function onlyCancelled(output: ToolBatchOutput): boolean {
  return output.status === 'failed' && output.failures.every((failure) => failure.kind === 'cancelled');
}

/** What the model actor resolved with, unchecked: a broken model may resolve anything. */
const modelOutput = ({ event }: { event: { output: unknown } }): unknown => event.output;

/** The batch's output, from its done event: the params of the batch's guards and actions. */
const batchOutput = ({ event }: { event: { output: ToolBatchOutput } }): ToolBatchOutput => event.output;

/**
 * The agent loop statechart. Provide the `model` and `toolBatch` actors.
 *
 * @example
 * ```ts
 * import { createActor, toPromise } from 'xstate';
 * const machine = agentLoopMachine.provide({
 *   actors: { model, toolBatch: toolBatchMachine.provide({ actors: { runTool: createToolRouter([add]).runTool } }) },
 * });
 * const output = await toPromise(createActor(machine, { input: { messages, maxSteps: 4 } }).start());
 * ```
 */
export const agentLoopMachine = setup({
  types: {
    input: {} as AgentLoopInput,
    context: {} as AgentLoopContext,
    events: {} as AgentLoopEvent,
    emitted: {} as AgentLoopEmitted,
    output: {} as AgentLoopOutput,
  },
  actors: { model: noModelProvided, toolBatch: toolBatchMachine },
  guards: {
    isMalformedTurn: (_, output: unknown) => modelOutputProblem(output) !== undefined,
    hasToolCalls: (_, turn: ModelStepOutput) => (turn.message.tool_calls?.length ?? 0) > 0,
    hasStepsLeft: ({ context }) => context.step < context.maxSteps,
    wasCancelled: ({ context }, output: ToolBatchOutput) => context.cancelled || output.status === 'cancelled',
    isBatchFailed: (_, output: ToolBatchOutput) => output.status === 'failed' && !onlyCancelled(output),
  },
  actions: {
    startStep: assign({ step: ({ context }) => context.step + 1 }),
    emitModelStarted: emit(({ context, self }) => ({ type: 'model.started' as const, step: context.step, at: clockNow(self.system) - context.origin })),
    recordTurn: assign(({ context }, { message, usage }: ModelStepOutput) => {
      const toolCalls = message.tool_calls ?? [];
      const step: StepUsage = { step: context.step, toolCalls: toolCalls.length, ...(usage ? { usage } : {}) };
      return { messages: [...context.messages, message], steps: [...context.steps, step], toolCalls, calls: toToolCalls(toolCalls) };
    }),
    emitModelFinished: emit(({ context, self }) => ({
      type: 'model.finished' as const,
      step: context.step,
      at: clockNow(self.system) - context.origin,
      toolCalls: context.toolCalls.length,
    })),
    emitBatchStarted: emit(({ context, self }) => ({
      type: 'batch.started' as const,
      step: context.step,
      calls: context.calls,
      options: context.options,
      at: clockNow(self.system) - context.origin,
    })),
    reEmitBatchEvent: emit(({ context, event }) => {
      assertEvent(event, ['call.started', 'call.progress', 'call.partial', 'call.settled', 'batch.settled', 'call.approvalRequested', 'call.retrying', 'call.cancelIgnored']);
      return { ...event, step: context.step } as AgentLoopEmitted;
    }),
    appendToolMessages: assign(({ context }, output: ToolBatchOutput) => ({
      messages: [...context.messages, ...toToolMessages(context.toolCalls, outcomesOf(output))],
    })),
    recordBatchFailure: assign(({ context }, output: ToolBatchOutput) => {
      if (output.status !== 'failed') return {};
      const first = output.failures[0];
        const head = first ? `call ${first.index} (${first.name}, id ${first.id}) failed with ${first.kind}: ${first.message}` : 'it failed';
      const error: AgentLoopError = {
        kind: 'batch',
        step: context.step,
        message: `The tool batch of step ${context.step} failed under ${output.policy}: ${head}`,
        policy: output.policy,
        failures: output.failures,
        outputs: output.outputs,
      };
      return { error };
    }),
    recordInvalidToolCalls: assign(({ context }, { error }: { error: unknown }) => {
      const message = `The tool calls of step ${context.step} could not be run: ${describeError(error)}`;
      return { error: { kind: 'invalidToolCalls' as const, step: context.step, message, error } };
    }),
    recordInvalidModelOutput: assign(({ context }, { output }: { output: unknown }) => {
      const message = `The model's output at step ${context.step} is malformed: expected ${modelOutputProblem(output) ?? 'a turn'}`;
      return { error: { kind: 'invalidModelOutput' as const, step: context.step, message, output } };
    }),
    recordModelError: assign(({ context }, { error }: { error: unknown }) => {
      const message = `The model failed at step ${context.step}: ${describeError(error)}`;
      return { error: { kind: 'model' as const, step: context.step, message, error } };
    }),
    recordCancelled: assign({ error: ({ context }) => cancelledError(context.step) }),
    markCancelled: assign({ cancelled: true }),
    settle: assign((_, params: { status: AgentLoopOutput['status'] }) => ({ status: params.status })),
    cancelBatch: sendTo('toolBatch', { type: 'batch.cancel' }),
    forwardDecision: sendTo('toolBatch', ({ event }) => {
      assertEvent(event, ['call.approve', 'call.deny']);
      return event;
    }),
    forwardCancel: sendTo('toolBatch', ({ event }) => {
      assertEvent(event, 'call.cancel');
      return event;
    }),
  },
}).createMachine({
  id: 'agentLoop',
  description: 'Calls the model, runs the tool calls of each turn as one batch, and repeats until a turn has no tool calls.',
  context: ({ input, self }) => {
    if (typeof input !== 'object' || input === null || !Array.isArray(input.messages)) {
      throw new TypeError(`Expected \`messages\` to be an array of chat messages, got ${showValue(input?.messages)}`);
    }
    const maxSteps = input.maxSteps ?? defaultMaxSteps;
    assertMaxSteps(maxSteps);
    return {
      messages: [...input.messages],
      maxSteps,
      options: resolveBatchOptions(input.options),
      tools: input.tools,
      step: 0,
      steps: [],
      toolCalls: [],
      calls: [],
      cancelled: false,
      error: undefined,
      status: undefined,
      origin: clockNow(self.system),
      runId: typeof input.runId === 'string' ? input.runId : null,
    };
  },
  initial: 'callingModel',
  states: {
    callingModel: {
      description: 'Asks the model for the next assistant turn; the turn is appended to the conversation.',
      entry: ['startStep', 'emitModelStarted'],
      invoke: {
        id: 'model',
        src: 'model',
        input: ({ context }): ModelStepInput => ({
          messages: context.messages,
          step: context.step,
          ...(context.tools ? { tools: context.tools } : {}),
        }),
        onDone: [
          {
            // First: nothing below may read a turn that is not an assistant message (see src/core/model-turn.ts).
            guard: { type: 'isMalformedTurn', params: modelOutput },
            target: 'failed',
            actions: { type: 'recordInvalidModelOutput', params: (args: { event: { output: unknown } }) => ({ output: modelOutput(args) }) },
          },
          {
            guard: { type: 'hasToolCalls', params: ({ event }) => event.output },
            target: 'runningTools',
            actions: [{ type: 'recordTurn', params: ({ event }) => event.output }, 'emitModelFinished'],
          },
          { target: 'done', actions: [{ type: 'recordTurn', params: ({ event }) => event.output }, 'emitModelFinished'] },
        ],
        onError: { target: 'failed', actions: { type: 'recordModelError', params: ({ event }) => ({ error: event.error }) } },
      },
      on: { 'agent.cancel': { target: 'failed', actions: ['markCancelled', 'recordCancelled'] } },
    },
    runningTools: {
      description:
        "Runs the turn's tool calls as one batch (a toolBatch child) and appends the tool messages in tool_calls order.",
      entry: 'emitBatchStarted',
      invoke: [
        {
          id: 'toolBatch',
          src: 'toolBatch',
          input: ({ context }) => ({
            calls: context.calls,
            options: context.options,
            notifyParent: true,
            ...(context.runId === null ? {} : { runId: context.runId }),
          }),
          onDone: [
            {
              guard: { type: 'wasCancelled', params: batchOutput },
              target: 'failed',
              actions: [{ type: 'appendToolMessages', params: batchOutput }, 'recordCancelled'],
            },
            {
              guard: { type: 'isBatchFailed', params: batchOutput },
              target: 'failed',
              actions: [
                { type: 'appendToolMessages', params: batchOutput },
                { type: 'recordBatchFailure', params: batchOutput },
              ],
            },
            { guard: 'hasStepsLeft', target: 'callingModel', actions: { type: 'appendToolMessages', params: batchOutput } },
            { target: 'stepLimitReached', actions: { type: 'appendToolMessages', params: batchOutput } },
          ],
          onError: { target: 'failed', actions: { type: 'recordInvalidToolCalls', params: ({ event }) => ({ error: event.error }) } },
        },
      ],
      on: {
        'call.started': { actions: 'reEmitBatchEvent' },
        'call.progress': { actions: 'reEmitBatchEvent' },
        'call.partial': { actions: 'reEmitBatchEvent' },
        'call.settled': { actions: 'reEmitBatchEvent' },
        'batch.settled': { actions: 'reEmitBatchEvent' },
        'call.approvalRequested': { actions: 'reEmitBatchEvent' },
        'call.retrying': { actions: 'reEmitBatchEvent' },
        'call.cancelIgnored': { actions: 'reEmitBatchEvent' },
        'call.approve': { actions: 'forwardDecision' },
        'call.cancel': { actions: 'forwardCancel', description: 'Cancels one call of the batch; the batch settles it as cancelled and the model reads why.' },
        'call.deny': { actions: 'forwardDecision' },
        'agent.cancel': { actions: ['markCancelled', 'cancelBatch'] },
      },
    },
    done: {
      type: 'final',
      description: 'The model answered without tool calls.',
      entry: { type: 'settle', params: { status: 'done' } },
    },
    stepLimitReached: {
      type: 'final',
      entry: { type: 'settle', params: { status: 'stepLimitReached' } },
      description: 'maxSteps model calls were made and the last one still asked for tools; their replies are appended.',
    },
    failed: {
      type: 'final',
      entry: { type: 'settle', params: { status: 'failed' } },
      description:
        'The model failed or sent a malformed turn, a batch failed (joinAll, failFast; not when its only failures are cancelled calls) or the agent was cancelled; the conversation so far is kept.',
    },
  },
  output: ({ context }) => ({
    status: context.status!,
    messages: context.messages,
    steps: context.steps,
    ...(context.error ? { error: context.error } : {}),
  }),
});
