/**
 * `xstate-parallel-tools/openai`: a `ChatModel` for `runAgent` on the
 * official `openai` client (an optional peer dependency, loaded only here).
 */
export { createOpenAIModel } from './openai-model.js';
export type { OpenAIModelOptions } from './openai-model.js';
