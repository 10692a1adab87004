export { runToolBatch } from './run-tool-batch.js';
export type { RunToolBatchOptions, ToolSource } from './run-tool-batch.js';
export { defineTool, createToolRouter } from './tools.js';
export type { Tool, AnyTool, ToolRouter, ToolExecuteContext, FunctionToolSpec } from './tools.js';
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
