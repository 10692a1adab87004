/**
 * `xstate-parallel-tools/langchain`: LangChain tools as batch tools, and a
 * LangGraph node that replaces `ToolNode` (`@langchain/core` and
 * `@langchain/langgraph` are optional peer dependencies, loaded only here).
 */
export { fromLangChainTools } from './from-langchain-tools.js';
export type { FromLangChainToolsOptions, LangChainTool } from './from-langchain-tools.js';
export { createParallelToolNode } from './parallel-tool-node.js';
export type { MessagesState, ParallelToolNode, ParallelToolNodeOptions } from './parallel-tool-node.js';
