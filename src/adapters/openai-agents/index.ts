/**
 * `xstate-parallel-tools/openai-agents`: run an OpenAI Agents SDK agent's
 * function tools through one batch per turn (`@openai/agents` is an optional
 * peer dependency, loaded only here).
 */
export { toAgentTools } from './to-agent-tools.js';
export type { AgentToolsOptions, AgentFunctionTool } from './to-agent-tools.js';
