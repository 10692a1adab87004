/**
 * The systems compared, with what each one's timing covers and its time
 * budget, as data for the orchestrator and the report.
 */

export interface SystemInfo {
  /** Key understood by src/systems.ts. */
  id: string;
  label: string;
  /** Has a concurrency limit; systems without one are measured at N=∞ only. */
  limited: boolean;
  ours?: boolean;
  /** What the timing covers. */
  measures: string;
  /** How a failure ends its batch, in its default configuration. */
  onFailure: string;
  /** Line colour in the chart. */
  color: string;
  /**
   * Seconds one overhead task (one limit, every K) may take in the default
   * run; a K that would not fit is left out and the report says so.
   * Default: `defaultBudgetSeconds`. Ours get more: their numbers are the point.
   */
  budgetSeconds?: number;
  /**
   * A limited system is measured at N=∞ too unless this is false. The raw
   * actor is measured at N=16 only: at N=∞ it does what runToolBatch does,
   * and measuring both took a minute of the five the default run may take.
   */
  measureUnlimited?: boolean;
}

export const defaultBudgetSeconds = 30;

/** How long one memory run (one batch of 100,000 calls) may take; the slowest peer that finishes takes about 10 s. */
export const memoryTimeoutSeconds = 15;

export const systems: SystemInfo[] = [
  {
    id: 'promise-all',
    label: 'Promise.all',
    limited: false,
    measures: 'whole call',
    onFailure: 'rejects at the first failure; every call was started at once and keeps running',
    color: '#9e9e9e',
  },
  {
    id: 'worker-pool',
    label: 'worker pool (15 lines)',
    limited: true,
    measures: 'whole call',
    onFailure: 'rejects at the first failure; the other workers keep pulling queued calls',
    color: '#424242',
  },
  {
    id: 'p-limit',
    label: 'p-limit',
    limited: true,
    measures: 'whole call',
    onFailure: '`Promise.all` over `limit(fn)` rejects at the first failure; queued calls still start',
    color: '#1f77b4',
  },
  {
    id: 'p-queue',
    label: 'p-queue',
    limited: true,
    measures: 'whole call',
    onFailure: '`addAll` rejects at the first failure; the queue goes on starting calls',
    color: '#17becf',
  },
  {
    id: 'effect',
    label: 'effect forEach',
    limited: true,
    measures: 'whole call',
    onFailure: 'fails at the first failure and interrupts the others (their signals abort); starts no more',
    color: '#9467bd',
  },
  {
    id: 'langgraph',
    label: 'LangGraph ToolNode',
    limited: false,
    measures: 'whole `ToolNode.invoke`',
    onFailure: 'no fail-fast: the error becomes an error `ToolMessage`; resolves when every call is done',
    color: '#2ca02c',
  },
  {
    id: 'ai-sdk',
    label: 'AI SDK generateText',
    limited: true,
    measures: 'tool-execution part of one step (model response handed back → `generateText` resolves)',
    onFailure: 'no fail-fast: the error becomes a `tool-error` part; resolves when every call is done',
    color: '#8c564b',
  },
  {
    id: 'openai-agents',
    label: 'OpenAI Agents SDK',
    limited: true,
    measures: 'tool-execution part of one turn (model response handed back → model asked again)',
    onFailure: 'no fail-fast: the error is sent back to the model as the call\'s output; every call runs',
    color: '#ff7f0e',
  },
  {
    id: 'mastra',
    label: 'Mastra Agent',
    limited: true,
    measures: 'tool-execution part of one step (model response handed back → model asked again)',
    onFailure: 'no fail-fast: the error is sent back to the model as the call\'s result; every call runs',
    color: '#bcbd22',
  },
  {
    id: 'run-tool-batch',
    label: 'runToolBatch (ours)',
    limited: true,
    ours: true,
    budgetSeconds: 45,
    measures: 'whole call',
    onFailure: 'failFast: rejects at the first failure, aborts the running calls, starts no queued call',
    color: '#d62728',
  },
  {
    id: 'tool-batch-actor',
    label: 'toolBatchMachine actor (ours)',
    limited: true,
    ours: true,
    budgetSeconds: 45,
    measureUnlimited: false,
    measures: 'whole call (`createActor` → `toPromise`)',
    onFailure: 'failFast: output `{ status: \'failed\' }` at the first failure, aborts the running calls, starts no queued call',
    color: '#e377c2',
  },
];
