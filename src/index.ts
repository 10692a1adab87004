export { runToolBatch } from './run-tool-batch.js';
export type { RunToolBatchOptions } from './run-tool-batch.js';
export { defineTool, createToolRouter } from './tools.js';
export type { ToolSource, Tool, AnyTool, ToolRouter, ToolExecuteContext, FunctionToolSpec } from './tools.js';
export { ToolBatchError, ToolCallError } from './errors.js';
export { toolCallSchema, failureKinds, joinPolicies } from './schemas.js';
export type {
  ToolCall,
  ToolOutput,
  ToolFailure,
  FailureKind,
  JoinPolicy,
  BatchOptions,
  SettledResult,
} from './schemas.js';
export { createWallClock } from './clock.js';
export { renderTimeline } from './timeline.js';
export type { ClockWithNow } from './clock.js';
export { toolBatchMachine, cloneBatchSnapshot, unlimitedRunningCalls } from '../machines/tool-batch.machine.js';
export type {
  ToolBatchInput,
  ToolBatchContext,
  ToolBatchEvent,
  ToolBatchEmitted,
  ToolBatchOutput,
  Slot,
  SlotStatus,
} from '../machines/tool-batch.machine.js';
export { createToolCallLogic, toolCallChart, maxTimeoutMs } from '../machines/tool-call.machine.js';
export type {
  ToolCallInput,
  ToolCallLogic,
  ToolCallSettledEvent,
  ToolCallSnapshot,
  ToolExecutor,
} from '../machines/tool-call.machine.js';
export type { ResolvedBatchOptions } from './schemas.js';
export { toToolCalls, toToolMessages, UnparsedArguments } from './openai-format.js';
export type {
  ChatMessage,
  ChatToolCall,
  SystemMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  ToolCallOutcome,
} from './openai-format.js';
export { withParallelTools } from './parallel-tools-step.js';
export type { ChatStep, ChatStepResult, ParallelToolsOptions } from './parallel-tools-step.js';
export { agentLoopMachine, defaultMaxSteps } from '../machines/agent-loop.machine.js';
export type {
  AgentLoopInput,
  AgentLoopContext,
  AgentLoopEvent,
  AgentLoopEmitted,
  AgentLoopOutput,
  AgentLoopError,
  StepUsage,
  ModelStepInput,
  ModelStepOutput,
} from '../machines/agent-loop.machine.js';
export { createAgentMachine, runAgent } from './agent.js';
export type { AgentMachineOptions, RunAgentOptions } from './agent.js';
export type { ChatModel, ChatModelRequest, ChatModelResponse, ModelUsage } from './models/chat-model.js';
export { createScriptedModel } from './models/scripted-model.js';
export type { ModelScript, ScriptedModelOptions } from './models/scripted-model.js';
export { createOpenAIModel } from './models/openai-model.js';
export type { OpenAIModelOptions } from './models/openai-model.js';
