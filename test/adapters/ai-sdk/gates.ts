/**
 * Tool bodies that wait until the test releases them, so a test decides the
 * order of completions exactly, with deferred promises and no timers.
 */

export interface Gates {
  /** Ids in the order their tools started. */
  readonly started: string[];
  /** Ids in the order their tools settled. */
  readonly finished: string[];
  /** Most tools running at once. */
  readonly peak: number;
  /** Most tools running at once, per tool name. */
  readonly peakByTool: Record<string, number>;
  /** The abort reason each tool's signal fired with, by id. */
  readonly abortReasons: Record<string, string>;
  /** The tool body: waits for `release(id)` (or its signal) and returns `value`. */
  enter(id: string, tool: string, signal: AbortSignal | undefined, value: unknown): Promise<unknown>;
  /** Settles a waiting tool: with its value, or with `error`. */
  release(id: string, error?: Error): void;
  /** Resolves once `count` tools have started. */
  startedCount(count: number): Promise<void>;
}

export function createGates(): Gates {
  const started: string[] = [];
  const finished: string[] = [];
  const abortReasons: Record<string, string> = {};
  const peakByTool: Record<string, number> = {};
  const runningByTool: Record<string, number> = {};
  const waiting = new Map<string, { resolve(): void; reject(error: Error): void }>();
  const watchers: Array<{ count: number; resolve(): void }> = [];
  let running = 0;
  let peak = 0;

  const wake = (): void => {
    for (const watcher of [...watchers]) {
      if (started.length >= watcher.count) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  };

  return {
    started,
    finished,
    abortReasons,
    peakByTool,
    get peak() {
      return peak;
    },
    async enter(id, tool, signal, value) {
      started.push(id);
      running++;
      runningByTool[tool] = (runningByTool[tool] ?? 0) + 1;
      peak = Math.max(peak, running);
      peakByTool[tool] = Math.max(peakByTool[tool] ?? 0, runningByTool[tool] ?? 0);
      try {
        await new Promise<void>((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          signal?.addEventListener('abort', () => {
            const reason: unknown = signal.reason;
            abortReasons[id] = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
            reject(reason);
          });
          wake();
        });
        return value;
      } finally {
        running--;
        runningByTool[tool] = (runningByTool[tool] ?? 1) - 1;
        waiting.delete(id);
        finished.push(id);
      }
    },
    release(id, error) {
      const gate = waiting.get(id);
      if (gate === undefined) throw new Error(`${id} is not waiting (waiting: ${[...waiting.keys()].join(', ') || 'none'})`);
      if (error === undefined) gate.resolve();
      else gate.reject(error);
    },
    startedCount(count) {
      return new Promise((resolve) => {
        watchers.push({ count, resolve });
        wake();
      });
    },
  };
}
