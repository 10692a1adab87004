/**
 * `xstate-parallel-tools/testing`: test doubles for people who test their
 * own agents: a scripted model that needs no network, a tool whose calls
 * the test settles, and every interleaving of a small batch with the
 * invariants each must keep.
 */
export { createScriptedModel } from '../models/scripted-model.js';
export type { ModelScript, ScriptedModelOptions } from '../models/scripted-model.js';
export { getBatchPaths, checkBatchPath, pathPartial, pathResult } from './batch-paths.js';
export type { BatchPath, BatchPathStep, BatchPathsOptions, BatchSnapshot } from './batch-paths.js';
export { createControlledTool } from './controlled-tool.js';
export type { ControlledCall, ControlledTool, ControlledToolOptions } from './controlled-tool.js';
