/**
 * The span names and attribute keys, in one place: the GenAI semantic
 * conventions' where they define one (`execute_tool`, `gen_ai.*`,
 * `error.type`), and this library's own under `xstate_parallel_tools.*`.
 */

/** The tracer's name, as `trace.getTracer` gets it. */
export const tracerName = 'xstate-parallel-tools';

/** Span names. */
export const spanNames = {
  /** One per agent run: the GenAI conventions' `invoke_agent`. */
  agent: 'invoke_agent',
  /** One per model turn of an agent run. */
  modelTurn: 'chat',
  /** One per batch of tool calls. */
  batch: 'tool_batch',
  /** One per attempt of a call: the GenAI conventions' `execute_tool {gen_ai.tool.name}`. */
  call: (tool: string): string => `execute_tool ${tool}`,
  /** The wait for a person's decision on a call that needs one. */
  approval: (tool: string): string => `await_approval ${tool}`,
  /** A job on a BullMQ worker, as the messaging conventions name it. */
  job: (queue: string): string => `process ${queue}`,
} as const;

/** Attribute keys. */
export const keys = {
  operation: 'gen_ai.operation.name',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolDescription: 'gen_ai.tool.description',
  agentName: 'gen_ai.agent.name',
  errorType: 'error.type',
  callIndex: 'xstate_parallel_tools.call.index',
  attempt: 'xstate_parallel_tools.call.attempt',
  lane: 'xstate_parallel_tools.call.lane',
  queuedMs: 'xstate_parallel_tools.call.queued_ms',
  retryInMs: 'xstate_parallel_tools.call.retry_in_ms',
  approved: 'xstate_parallel_tools.call.approved',
  callStatus: 'xstate_parallel_tools.call.status',
  decision: 'xstate_parallel_tools.approval.decision',
  batchSize: 'xstate_parallel_tools.batch.size',
  policy: 'xstate_parallel_tools.batch.policy',
  concurrency: 'xstate_parallel_tools.batch.concurrency',
  timeoutMs: 'xstate_parallel_tools.batch.timeout_ms',
  batchStatus: 'xstate_parallel_tools.batch.status',
  succeeded: 'xstate_parallel_tools.batch.succeeded',
  failed: 'xstate_parallel_tools.batch.failed',
  aborted: 'xstate_parallel_tools.batch.aborted',
  cancelled: 'xstate_parallel_tools.batch.cancelled',
  step: 'xstate_parallel_tools.step',
  runId: 'xstate_parallel_tools.run.id',
  agentStatus: 'xstate_parallel_tools.agent.status',
  toolCalls: 'xstate_parallel_tools.model.tool_calls',
  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.type',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
} as const;
