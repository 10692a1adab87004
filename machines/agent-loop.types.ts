/**
 * The agent loop's data: its input, context, events, emitted events and
 * output. Split from agent-loop.machine.ts, which re-exports every type here.
 */
import type { ChatMessage, AssistantMessage, ChatToolCall, FunctionToolSpec } from '../src/core/chat-format.js';
import type { BatchOptions, JoinPolicy, ResolvedBatchOptions, ToolCall, ToolFailure, ToolOutput } from '../src/core/schemas.js';
import type { ToolBatchEmitted } from './tool-batch.machine.js';

/** What the agent loop is started with. */
export interface AgentLoopInput {
  /** The conversation to continue. */
  messages: ChatMessage[];
  /** The most model calls. Type: integer ≥ 1 or `Infinity`. Default: 8. */
  maxSteps?: number;
  /** Options of every batch. Default: the batch machine's defaults. */
  options?: BatchOptions;
  /** Passed to the model actor as `tools`. Default: none (the model knows its tools). */
  tools?: FunctionToolSpec[];
  /** A durable run's id, passed to every batch: tools get `idempotencyKey` `${runId}:${call.id}`. Default: none. */
  runId?: string;
}

/** What the `model` actor gets for one step. */
export interface ModelStepInput {
  messages: ChatMessage[];
  tools?: FunctionToolSpec[];
  /** The model call's number, from 1. */
  step: number;
}

/** What the `model` actor returns for one step. */
export interface ModelStepOutput {
  message: AssistantMessage;
  usage?: { promptTokens: number; completionTokens: number };
}

/** One model step: its usage, when reported, and how many tool calls it asked for. */
export interface StepUsage {
  step: number;
  toolCalls: number;
  usage?: { promptTokens: number; completionTokens: number };
}

/** Why the loop ended in `failed`, a tagged union on `kind`. */
export type AgentLoopError =
  | { kind: 'model'; step: number; message: string; error: unknown }
  | { kind: 'batch'; step: number; message: string; policy: JoinPolicy; failures: ToolFailure[]; outputs: Array<ToolOutput | undefined> }
  | { kind: 'invalidToolCalls'; step: number; message: string; error: unknown }
  /** The model resolved something that is not a usable assistant turn; `output` is what it resolved. */
  | { kind: 'invalidModelOutput'; step: number; message: string; output: unknown }
  | { kind: 'cancelled'; step: number; message: string };

/**
 * The loop's result. `messages` is the whole conversation, also when it failed.
 *
 * @example
 * ```ts
 * const { status, messages, steps, error } = await runAgent({ model, tools, messages: [question] });
 * if (status === 'failed') console.error(error?.message);
 * ```
 */
export interface AgentLoopOutput {
  status: 'done' | 'failed' | 'stepLimitReached';
  messages: ChatMessage[];
  steps: StepUsage[];
  error?: AgentLoopError;
}

/** The agent loop's context. */
export interface AgentLoopContext {
  messages: ChatMessage[];
  maxSteps: number;
  options: ResolvedBatchOptions;
  tools: FunctionToolSpec[] | undefined;
  /** The current (or last) model call's number, from 1. */
  step: number;
  steps: StepUsage[];
  /** The current turn's tool calls, as the model sent them and as the batch runs them. */
  toolCalls: ChatToolCall[];
  calls: ToolCall[];
  /** Set by `agent.cancel`, so a cancel that crosses the batch's completion is not lost. */
  cancelled: boolean;
  error: AgentLoopError | undefined;
  /** Set on entering a final state; the output's `status`. */
  status: AgentLoopOutput['status'] | undefined;
  /** The clock's time when the run started: the loop's own events count from here. */
  origin: number;
  /** The durable run's id, or `null`. */
  runId: string | null;
}

/** Events the agent loop accepts: `agent.cancel`, decisions and cancels for its batch, and the progress events its batch sends it (`notifyParent`). */
export type AgentLoopEvent =
  | { type: 'agent.cancel' }
  | { type: 'call.approve'; id: string }
  | { type: 'call.deny'; id: string; reason?: string }
  /** Cancels one call of the running batch (forwarded to it); ignored while the model is called. */
  | { type: 'call.cancel'; id: string; reason?: string }
  | ToolBatchEmitted;

type WithStep<T> = T extends unknown ? T & { step: number } : never;

/**
 * Progress events the agent loop emits: its own, and the batch's with `step` added.
 *
 * @example
 * ```ts
 * actor.on('*', (event) => {
 *   if (event.type === 'call.settled') console.error(`step ${event.step}: ${event.name} ${event.status} at ${event.at} ms`);
 * });
 * ```
 */
export type AgentLoopEmitted =
  | { type: 'model.started'; step: number; at: number }
  | { type: 'model.finished'; step: number; at: number; toolCalls: number }
  | { type: 'batch.started'; step: number; calls: ToolCall[]; options: ResolvedBatchOptions; at: number }
  | WithStep<ToolBatchEmitted>;
