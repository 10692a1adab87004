/**
 * Types of `defineTool`: the arguments come from the schema, and the result
 * type is inferred from `execute`, streaming (async generator) tools included.
 * These are compile-time checks: `npx tsc --noEmit` fails when one breaks.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineTool, type ToolPartial, type ToolResult } from '../../src/index.js';

describe('defineTool types', () => {
  it('infers the result of a plain, an async and a streaming execute', () => {
    const plain = defineTool({ name: 'plain', description: '', parameters: z.object({ a: z.number() }), execute: ({ a }) => a * 2 });
    const later = defineTool({ name: 'later', description: '', parameters: z.object({}), execute: async () => ({ ok: true }) });
    const summary = defineTool({
      name: 'summary',
      description: '',
      parameters: z.object({ from: z.number() }),
      async *execute({ from }) {
        expectTypeOf(from).toEqualTypeOf<number>();
        yield { left: from };
        return 'liftoff' as const;
      },
    });
    const lastYield = defineTool({
      name: 'lastYield',
      description: '',
      parameters: z.object({}),
      async *execute() {
        yield 1;
      },
    });
    const maybe = defineTool({
      name: 'maybe',
      description: '',
      parameters: z.object({}),
      async *execute(_args, { signal }) {
        yield 'partial';
        if (signal.aborted) return undefined;
        return 42;
      },
    });
    expectTypeOf<ToolResult<typeof plain>>().toEqualTypeOf<number>();
    expectTypeOf<ToolResult<typeof later>>().toEqualTypeOf<{ ok: boolean }>();
    expectTypeOf<ToolResult<typeof summary>>().toEqualTypeOf<'liftoff'>();
    expectTypeOf<ToolPartial<typeof summary>>().toEqualTypeOf<{ left: number }>();
    expectTypeOf<ToolResult<typeof lastYield>>().toEqualTypeOf<number>();
    expectTypeOf<ToolResult<typeof maybe>>().toEqualTypeOf<42 | string>();
    expectTypeOf<ToolPartial<typeof plain>>().toEqualTypeOf<never>();
  });
});
