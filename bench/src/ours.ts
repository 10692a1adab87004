/**
 * Ours: `runToolBatch` (the promise API) and the raw `toolBatchMachine` actor.
 * The library is imported from the source tree; `xstate` resolves to the
 * root's copy, the one the library itself uses.
 */
import { createActor, toPromise } from 'xstate';
import { z } from 'zod';
import { createToolRouter, defineTool, runToolBatch, toolBatchMachine, type ToolCall } from '../../src/index.js';
import type { Job, Outcome, System, ToolBody } from './job.js';

function routerFor(body: ToolBody) {
  const tool = defineTool({
    name: 'noop',
    description: 'Resolves with its index',
    parameters: z.object({ i: z.number() }),
    // Only a body that takes a signal reads it: the invocation actor creates its AbortController lazily.
    execute: ({ i }, context) => (body.length > 1 ? body(i, context.signal) : body(i)),
  });
  return createToolRouter([tool]);
}

function callsOf(k: number): ToolCall[] {
  return Array.from({ length: k }, (_, i) => ({ id: `call_${i}`, name: 'noop', arguments: { i } }));
}

export const runToolBatchSystem: System = {
  prepare: ({ k, concurrency, body }: Job) => {
    const router = routerFor(body);
    const calls = callsOf(k);
    return {
      run: async (): Promise<Outcome> => {
        const t0 = performance.now();
        try {
          const outputs = await runToolBatch(calls, { router, concurrency, policy: 'failFast' });
          const ms = performance.now() - t0;
          return { ms, rejected: false, values: outputs.map((output) => output.result) };
        } catch {
          return { ms: performance.now() - t0, rejected: true, values: undefined };
        }
      },
    };
  },
};

export const toolBatchActorSystem: System = {
  prepare: ({ k, concurrency, body }: Job) => {
    const machine = toolBatchMachine.provide({ actors: { runTool: routerFor(body).runTool } });
    const calls = callsOf(k);
    return {
      run: async (): Promise<Outcome> => {
        const t0 = performance.now();
        const output = await toPromise(
          createActor(machine, { input: { calls, options: { concurrency, policy: 'failFast' } } }).start(),
        );
        const ms = performance.now() - t0;
        // The actor does not reject: a failed batch is an output with `status: 'failed'`.
        if (output.status !== 'succeeded' || !('outputs' in output)) return { ms, rejected: true, values: undefined };
        return { ms, rejected: false, values: output.outputs.map((o) => o.result) };
      },
    };
  },
};
