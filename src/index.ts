/**
 * The main entry: the batch and its promise API, tools, errors, the agent
 * loop, the step layer and the OpenAI chat format. It loads no SDK: model
 * providers and adapters are subpath exports (`xstate-parallel-tools/openai`,
 * `…/testing`, `…/view`, …).
 */
export { runToolBatch } from './runtime/run-tool-batch.js';
export { createCallControl } from './runtime/call-control.js';
export type { CallControl, CancelOutcome } from './runtime/call-control.js';
export type { RunToolBatchOptions, ToolRunner, RunnerSource } from './runtime/run-tool-batch.js';
export { defineTool, createToolRouter } from './runtime/tools.js';
export { createFileStore, RunLeaseError, RunCheckpointError } from './runtime/run-store.js';
export type { RunStore, RunCheckpoint, RunLease, RunLeaseOptions } from './runtime/run-store.js';
export type { ToolSource, Tool, AnyTool, ToolRouter, ToolExecuteContext, JsonSchema, ToolArgs, ToolParameters, ToolResult, ToolPartial } from './runtime/tools.js';
export type { ToolProgress } from '../machines/tool-call.machine.js';
export { ToolBatchError, ToolCallError } from './core/errors.js';
export { failureKinds, joinPolicies } from './core/schemas.js';
export type {
  ToolCall,
  ToolOutput,
  ToolFailure,
  FailureKind,
  JoinPolicy,
  BatchOptions,
  SettledResult,
  RetryOptions,
} from './core/schemas.js';
export type { ClockWithNow } from './runtime/clock.js';
export { toolBatchMachine } from '../machines/tool-batch.machine.js';
export type { ToolBatchInput, ToolBatchEvent, ToolBatchEmitted, ToolBatchOutput, CancelIgnoredWhy } from '../machines/tool-batch.machine.js';
export { createToolCallLogic } from '../machines/tool-call.machine.js';
export type { ToolCallInput, ToolCallLogic, ToolExecutor, ToolRunContext } from '../machines/tool-call.machine.js';
export { toToolCalls, toToolMessages, UnparsedArguments } from './core/chat-format.js';
export { InvalidToolCall } from './core/model-turn.js';
export type {
  ChatMessage,
  ChatToolCall,
  SystemMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  ToolCallOutcome,
  FunctionToolSpec,
} from './core/chat-format.js';
export { withParallelTools } from './runtime/parallel-tools-step.js';
export type { ChatStep, ChatStepResult, ParallelToolsOptions } from './runtime/parallel-tools-step.js';
export { agentLoopMachine } from '../machines/agent-loop.machine.js';
export type {
  AgentLoopInput,
  AgentLoopEvent,
  AgentLoopEmitted,
  AgentLoopOutput,
  AgentLoopError,
  StepUsage,
  ModelStepInput,
  ModelStepOutput,
} from '../machines/agent-loop.machine.js';
export { createAgentMachine, runAgent, resumeAgent } from './runtime/agent.js';
export type { AgentMachineOptions, RunAgentOptions, ResumeAgentOptions } from './runtime/agent.js';
export type { AgentRunResult, AgentAwaitingApproval, AgentState, PendingApproval, ApprovalDecision } from './runtime/agent-run.js';
export type { Approver, ApprovalRequestInfo } from './runtime/durable.js';
export type { ChatModel, ChatModelRequest, ChatModelResponse, ModelUsage } from './models/chat-model.js';
