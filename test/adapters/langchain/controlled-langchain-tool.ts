/**
 * A LangChain tool whose every call waits until the test settles it, so tests
 * decide the order of completions exactly, with no timers.
 */
import { tool, type DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';

interface PendingCall {
  signal: AbortSignal;
  resolve(value: string): void;
  reject(error: unknown): void;
}

export interface ControlledLangChainTool {
  /** The LangChain tool, made with `tool()`; its schema is `{ key: string }`. */
  tool: DynamicStructuredTool;
  /** Call ids (from `config.toolCall.id`), in the order the tool started them. */
  started: string[];
  /** Call ids in the order the test settled them. */
  settled: string[];
  /** The signal each call got, by call id. */
  signals: Map<string, AbortSignal>;
  /** Most calls running at once. */
  readonly peak: number;
  /** Resolves once `count` calls have started. */
  whenStarted(count: number): Promise<void>;
  resolve(id: string, value?: string): void;
  reject(id: string, error: unknown): void;
}

export function controlledLangChainTool(name = 'lookup'): ControlledLangChainTool {
  const started: string[] = [];
  const settled: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const pending = new Map<string, PendingCall>();
  const waiters: Array<{ count: number; resolve(): void }> = [];
  let running = 0;
  let peak = 0;

  const lcTool = tool(
    ({ key }, config) =>
      new Promise<string>((resolve, reject) => {
        const id = config.toolCall?.id ?? `no id for ${key}`;
        const signal = config.signal;
        if (signal === undefined) throw new Error(`call ${id} got no signal`);
        started.push(id);
        signals.set(id, signal);
        running += 1;
        peak = Math.max(peak, running);
        const done = (): void => {
          running -= 1;
        };
        signal.addEventListener('abort', done, { once: true });
        pending.set(id, {
          signal,
          resolve: (value) => {
            signal.removeEventListener('abort', done);
            done();
            resolve(value);
          },
          reject: (error) => {
            signal.removeEventListener('abort', done);
            done();
            reject(error);
          },
        });
        for (const waiter of waiters.filter((w) => started.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }),
    { name, description: 'settled by the test', schema: z.object({ key: z.string() }) },
  );

  const take = (id: string): PendingCall => {
    const call = pending.get(id);
    if (call === undefined) throw new Error(`call ${id} is not pending (pending: ${[...pending.keys()].join(', ')})`);
    pending.delete(id);
    settled.push(id);
    return call;
  };

  return {
    tool: lcTool,
    started,
    settled,
    signals,
    get peak() {
      return peak;
    },
    whenStarted: (count) =>
      started.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    resolve: (id, value = `value of ${id}`) => take(id).resolve(value),
    reject: (id, error) => take(id).reject(error),
  };
}
