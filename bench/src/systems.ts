/**
 * Loads one system by its catalog id. Each child process imports only the
 * system it measures, so no peer's module graph weighs on another's numbers.
 */
import type { System } from './job.js';

const loaders: Record<string, () => Promise<System>> = {
  'promise-all': async () => (await import('./floors.js')).promiseAll,
  'worker-pool': async () => (await import('./floors.js')).workerPoolSystem,
  'p-limit': async () => (await import('./limiters.js')).pLimitSystem,
  'p-queue': async () => (await import('./limiters.js')).pQueueSystem,
  effect: async () => (await import('./limiters.js')).effectSystem,
  langgraph: async () => (await import('./langgraph.js')).langGraphSystem,
  'ai-sdk': async () => (await import('./ai-sdk.js')).aiSdkSystem,
  'openai-agents': async () => (await import('./openai-agents.js')).openAiAgentsSystem,
  mastra: async () => (await import('./mastra.js')).mastraSystem,
  'run-tool-batch': async () => (await import('./ours.js')).runToolBatchSystem,
  'tool-batch-actor': async () => (await import('./ours.js')).toolBatchActorSystem,
};

export async function loadSystem(id: string): Promise<System> {
  const load = loaders[id];
  if (load === undefined) throw new TypeError(`Expected a system id (${Object.keys(loaders).join(', ')}), got "${id}"`);
  return load();
}
