/**
 * `xstate-parallel-tools/testing`: test doubles for people who test their
 * own agents: a scripted model that needs no network.
 */
export { createScriptedModel } from '../models/scripted-model.js';
export type { ModelScript, ScriptedModelOptions } from '../models/scripted-model.js';
export { getBatchPaths, checkBatchPath, pathResult } from './batch-paths.js';
export type { BatchPath, BatchPathStep, BatchPathsOptions, BatchSnapshot } from './batch-paths.js';
