/**
 * The views read names and ids as data: a timeline of calls whose names and
 * ids are prototype keys, odd Unicode and a 10,000-character string renders
 * at once (a label is cut to fit, never measured once per length), and the
 * progress view finds a tool's attempts by a name such as `__proto__` or
 * `toString` only when the map has it as its own key.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ToolBatchEmitted } from '../../machines/tool-batch.machine.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { defineTool } from '../../src/runtime/tools.js';
import { createProgressView } from '../../src/view/progress.js';
import { truncate } from '../../src/view/timeline-text.js';
import { renderTimeline } from '../../src/view/timeline.js';
import { vocabulary } from '../helpers/names.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

const longName = 'x'.repeat(10_000);

describe('renderTimeline with names that are data', () => {
  it('cuts a 10,000-character name to the longest prefix that fits, measuring it a few times only', () => {
    // 12 px bold: an x is 8.184 px and the ellipsis 13.2 px, so 22 x and … take 193.25 px; 23 take 201.43.
    expect(truncate(longName, 200, 12, true)).toBe(`${'x'.repeat(22)}…`);
    // 11 px: a parrot (one code point, two code units) is 6.82 px and the ellipsis 11 px: 7 take 58.74 px.
    expect(truncate('🦜'.repeat(5000), 60, 11, false)).toBe(`${'🦜'.repeat(7)}…`);
  });

  it('renders a batch whose calls have such ids and names', async () => {
    const tool = defineTool({ name: '__proto__', description: 'answers', parameters: z.object({}), execute: (_args, { call }) => call.id.length });
    const events: ToolBatchEmitted[] = [];
    const calls = vocabulary.map((id, i) => ({ id, name: i % 2 === 0 ? '__proto__' : id, arguments: {} }));
    await runToolBatch(calls, { tools: [tool], policy: 'settleAll', concurrency: 4, onEvent: (event) => events.push(event) });
    const started = performance.now();
    const svg = renderTimeline(events);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect([svg.startsWith('<svg'), svg.includes('__proto__'), svg.includes('constructor'), svg.includes('x'.repeat(22))]).toEqual([true, true, true, true]);
  }, 10_000);
});

describe('createProgressView with names that are data', () => {
  it.each([
    ['__proto__', 'retry 2/3 in 400 ms · error: down'],
    ['constructor', 'retry 2/2 in 400 ms · error: down'],
    ['toString', 'retry 2 in 400 ms · error: down'],
    ['hasOwnProperty', 'retry 2 in 400 ms · error: down'],
  ])('a call of %s shows "%s" with attempts as JSON.parse gives them', (name, shown) => {
    const chunks: string[] = [];
    const view = createProgressView({
      stream: { isTTY: false, write: (chunk: string) => chunks.push(chunk) },
      now: () => 0,
      attempts: JSON.parse('{"__proto__":3,"constructor":2}') as Record<string, number>,
    });
    view.handle({ type: 'batch.started', calls: [{ id: 'valueOf', name }] });
    view.handle({ type: 'call.started', index: 0, id: 'valueOf', name });
    view.handle({ type: 'call.retrying', index: 0, id: 'valueOf', name, attempt: 2, delayMs: 400, failure: { kind: 'error', message: 'down' } });
    expect(chunks.at(-1)!.endsWith(`${shown}\n`)).toBe(true);
    expect(chunks.at(-1)!.startsWith(`  retrying   valueOf  ${name}`)).toBe(true);
  });
});
