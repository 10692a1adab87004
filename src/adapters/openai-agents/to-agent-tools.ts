/**
 * `toAgentTools`: the project's tools as OpenAI Agents SDK function tools whose
 * calls run through one batch per turn.
 *
 * What this module provides: one function that turns `defineTool` tools into
 * the SDK's `tool()` objects, for an `Agent`'s `tools`.
 *
 * Implementation strategy: the SDK's runner calls each function tool's
 * `execute` itself, so each `execute` hands its call to a turn batcher
 * (turn-batch.ts) and returns the batch's result for that call. Arguments are
 * validated by the project's router, not by the SDK, so that a bad argument is
 * an `invalidArguments` failure under the batch's policy: the SDK gets the
 * tool's JSON Schema with `strict: false` and only parses the JSON.
 * A failed batch (under `joinAll` or `failFast`) answers every call, so
 * that the conversation has a result for each function call: the failures
 * as `{"error":{"kind","message"}}`, as the SDK answers a tool that threw.
 * `errorFunction: null` lets an abort fail the run instead of being turned
 * into text for the model.
 *
 * Composition: leave the runner's `toolExecution.maxFunctionToolConcurrency`
 * unset, so that the runner starts every call of a turn and the batch sees
 * them all; the batch's `concurrency` is the limit.
 */
import { tool, type FunctionTool, type UnknownContext } from '@openai/agents';
import {
  createToolRouter,
  type AnyTool,
  type BatchOptions,
  type FunctionToolSpec,
  type ToolBatchEmitted,
  type ToolCall,
} from '../../index.js';
import { createTurnBatcher } from './turn-batch.js';

/** Options of `toAgentTools`: the batch options every turn runs with, and a progress hook. */
export type AgentToolsOptions = BatchOptions & {
  /** Receives every progress event of every turn's batch (`call.started`, `call.settled`, `batch.settled`). */
  onEvent?: (event: ToolBatchEmitted) => void;
};

/** The JSON Schema of a tool's parameters, as the SDK takes it with `strict: false`. */
type NonStrictParameters = {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: true;
};

/** A function tool made by `toAgentTools`: its input is the parsed JSON of the model's arguments. */
export type AgentFunctionTool<TContext = UnknownContext> = FunctionTool<TContext, NonStrictParameters, unknown>;

/** Stands in for the run context when a tool is invoked without one. */
const noRun = {};

/**
 * Turns tools into OpenAI Agents SDK function tools that run each turn's calls as one batch.
 *
 * The calls of one model turn (of one run) form one `runToolBatch` with these
 * options: `concurrency`, `perToolConcurrency`, `timeoutMs` (which aborts the
 * tool's `signal`) and `policy`. The policy decides what runs: `failFast`
 * aborts the running calls at the first failure and starts no queued one,
 * `joinAll` and `settleAll` run every call. Under every policy each call is
 * answered, as the SDK answers a tool that threw (its default
 * `errorFunction`): a failed call's output is `{"error":{"kind","message"}}`,
 * kind `aborted` for the calls failFast stopped or never started, and the run
 * goes on with the model reading them; `onEvent`'s `batch.settled` tells the
 * app that the batch failed. Aborting the run's `signal` aborts the running
 * tools and fails the run. Results reach the model in the order it asked.
 *
 * A call of a tool the agent does not have never reaches the batch: the SDK
 * fails the run with `ModelBehaviorError: Tool <name> not found in agent <agent>.` before any
 * tool of the turn runs.
 *
 * Leave the runner's `toolExecution.maxFunctionToolConcurrency` unset: with
 * it, the runner hands over only that many calls at a time, and each group
 * becomes its own batch. An argument string that is not JSON never reaches
 * the batch: the SDK answers the model with its own fixed message.
 *
 * @param tools - tools from `defineTool`; names must be unique.
 * @param options - the batch options (default: no limit, `failFast`, no timeout) and `onEvent`.
 * @returns one SDK function tool per tool, in the same order, for an `Agent`'s `tools`.
 * @throws `TypeError` for an invalid tool or a duplicate name.
 * @example
 * ```ts
 * const agent = new Agent({
 *   name: 'Assistant',
 *   model,
 *   tools: toAgentTools([weather, search], { perToolConcurrency: { search: 2 }, timeoutMs: 5_000, policy: 'settleAll' }),
 * });
 * const result = await run(agent, 'Compare the weather in Oslo and Lima.');
 * ```
 */
export function toAgentTools<TContext = UnknownContext>(
  tools: readonly AnyTool[],
  options: AgentToolsOptions = {},
): AgentFunctionTool<TContext>[] {
  const router = createToolRouter(tools);
  const batcher = createTurnBatcher({ ...options, router });
  let unnamed = 0;
  return router.toolSpecs.map((spec: FunctionToolSpec) => {
    const { name, description, parameters } = spec.function;
    return tool<NonStrictParameters, TContext, unknown>({
      name,
      description,
      // The router validates the arguments; the SDK only needs the schema to show the model.
      parameters: parameters as NonStrictParameters,
      strict: false,
      errorFunction: null,
      execute: (args, runContext, details) => {
        const call: ToolCall = { id: details?.toolCall?.callId ?? `call_${++unnamed}`, name, arguments: args };
        return batcher.submit(runContext ?? noRun, call, details?.signal);
      },
    });
  });
}
