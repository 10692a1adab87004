export { runAiSdkToolCalls } from './run-ai-sdk-tool-calls.js';
export type { RunAiSdkToolCallsOptions } from './run-ai-sdk-tool-calls.js';
export { toAiSdkTools } from './to-ai-sdk-tools.js';
export type { AiSdkToolDeclaration, AiSdkPassThroughSchema } from './to-ai-sdk-tools.js';
export { withParallelToolSet } from './with-parallel-tool-set.js';
export type { ParallelToolSetOptions } from './with-parallel-tool-set.js';
export type {
  AiSdkJsonValue,
  AiSdkToolCall,
  AiSdkToolExecutionOptions,
  AiSdkToolMessage,
  AiSdkToolResultOutput,
  AiSdkToolResultPart,
} from './ai-sdk-shapes.js';
