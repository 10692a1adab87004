/**
 * `runToolBatch`, the promise API: what it resolves and rejects with, how it
 * checks its inputs, and how `signal` and `onEvent` drive the batch.
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ToolBatchError } from '../../src/core/errors.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { defineTool } from '../../src/runtime/tools.js';
import { callsFor, controlledTool, flush } from '../helpers/controlled-tool.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

const echo = defineTool({
  name: 'echo',
  description: 'echoes its text',
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => `echo:${text}`,
});

describe('runToolBatch', () => {
  describe('inputs', () => {
    it('rejects with a TypeError before any tool starts when neither tools nor router is given', async () => {
      await expect(runToolBatch([], {} as never)).rejects.toThrow(
        new TypeError('Expected `tools` (an array of tools) or `router`, got `undefined` (undefined)'),
      );
    });

    it('rejects invalid options before any tool starts', async () => {
      let started = 0;
      const probe = defineTool({ name: 'probe', description: '', parameters: z.unknown(), execute: () => ++started });
      await expect(runToolBatch([{ id: '1', name: 'probe', arguments: {} }], { tools: [probe], concurrency: 0 })).rejects.toBeInstanceOf(TypeError);
      expect(started).toBe(0);
    });
  });


  it('rejects runToolBatch with signal.reason when the signal aborts', async () => {
    const ctl = controlledTool();
    const controller = new AbortController();
    const batch = runToolBatch(callsFor('ctl', 3), { tools: [ctl.tool], concurrency: 1, signal: controller.signal });
    const rejection = batch.catch((error: unknown) => error);
    await flush();
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    expect(await rejection).toBe(reason);
    expect(ctl.pending.get('c0')!.signal.aborted).toBe(true);
    expect(ctl.started).toEqual(['c0']);
  });

  it('rejects with signal.reason and starts nothing when the signal is already aborted', async () => {
    const ctl = controlledTool();
    const reason = new Error('too late');
    await expect(runToolBatch(callsFor('ctl', 2), { tools: [ctl.tool], signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(ctl.started).toEqual([]);
  });

  it('resolves an empty batch with []', async () => {
    const ctl = controlledTool();
    expect(await runToolBatch([], { tools: [ctl.tool] })).toEqual([]);
    expect(ctl.started).toEqual([]);
  });

  it('fails fast by default', async () => {
    const ctl = controlledTool();
    const batch = runToolBatch(callsFor('ctl', 2), { tools: [ctl.tool] }).catch((error: unknown) => error);
    await flush();
    ctl.reject('c1', new Error('nope'));
    expect((await batch as ToolBatchError).policy).toBe('failFast');
  });

  describe('an onEvent listener that throws', () => {
    it('cancels the batch, aborts running calls, and the batch rejects with what it threw', async () => {
      const ctl = controlledTool();
      const boom = new Error('listener boom');
      const rejection = runToolBatch(['c0', 'c1', 'c2'].map((id) => ({ id, name: 'ctl', arguments: {} })), {
        tools: [ctl.tool],
        concurrency: 2,
        onEvent: (event) => {
          if (event.type === 'call.settled') throw boom;
        },
      }).catch((error: unknown) => error);
      await flush();
      const c1 = ctl.pending.get('c1')!;
      ctl.resolve('c0');
      expect(await rejection).toBe(boom);
      // c2 was admitted in the same step as the event that threw; the cancel follows that step.
      const c2 = ctl.pending.get('c2')!;
      expect([c1.signal.aborted, c2.signal.aborted, ctl.started]).toEqual([true, true, ['c0', 'c1', 'c2']]);
    });

    it('rejects with what it threw on the last event too, with no warning', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const boom = new Error('late listener boom');
        const rejection = runToolBatch([{ id: 'g0', name: 'echo', arguments: { text: 't0' } }], {
          tools: [echo],
          onEvent: (event) => {
            if (event.type === 'batch.settled') throw boom;
          },
        }).catch((error: unknown) => error);
        expect(await rejection).toBe(boom);
        await flush();
        expect(warn.mock.calls).toEqual([]);
      } finally {
        warn.mockRestore();
      }
    });
  });
});
