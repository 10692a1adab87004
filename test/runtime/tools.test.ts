import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToolRouter, defineTool } from '../../src/runtime/tools.js';
import { runToolBatch } from '../../src/runtime/run-tool-batch.js';
import { ToolCallError } from '../../src/core/errors.js';

const add = defineTool({
  name: 'add',
  description: 'Adds two numbers',
  parameters: z.object({ a: z.number(), b: z.number().default(0) }),
  execute: ({ a, b }) => a + b,
});

describe('defineTool', () => {
  it('returns the definition unchanged', () => {
    expect(add.name).toBe('add');
  });

  it.each([
    [{ ...add, name: 'has space' }, 'Expected `name` to match /^[a-zA-Z0-9_-]{1,64}$/, got `"has space"` (string)'],
    [{ ...add, parameters: 'object' }, 'Expected `parameters` of tool "add" to be a zod 4 schema or a JSON Schema object, got `"object"` (string)'],
    [
      { ...add, parameters: { _def: { typeName: 'ZodObject' }, safeParse: () => ({ success: true }) } },
      'Expected `parameters` of tool "add" to be a zod 4 schema or a JSON Schema, got a zod 3 schema: install zod 4 (`npm install zod@4`) or import `z` from \'zod/v4\'',
    ],
    [{ ...add, execute: 'run' }, 'Expected `execute` of tool "add" to be a function, got `"run"` (string)'],
    [{ ...add, timeoutMs: 0 }, 'Expected `timeoutMs` of tool "add" to be a number of milliseconds above 0, or `Infinity`, got `0` (number)'],
  ])('rejects a bad definition with a TypeError', (tool, message) => {
    expect(() => defineTool(tool as never)).toThrow(new TypeError(message));
  });
});

describe('createToolRouter', () => {
  it('rejects duplicate tool names', () => {
    expect(() => createToolRouter([add, add])).toThrow(new TypeError('Expected unique tool names, got "add" twice'));
  });

  it('exposes OpenAI function specs made from the zod schemas', () => {
    expect(createToolRouter([add]).toolSpecs).toEqual([
      {
        type: 'function',
        function: {
          name: 'add',
          description: 'Adds two numbers',
          parameters: {
            type: 'object',
            properties: { a: { type: 'number' }, b: { type: 'number', default: 0 } },
            required: ['a'],
          },
        },
      },
    ]);
  });

  it('runs parsed arguments, applying schema defaults', async () => {
    const router = createToolRouter([add]);
    expect(await runToolBatch([{ id: '1', name: 'add', arguments: { a: 2 } }], { router })).toEqual([{ id: '1', result: 2 }]);
  });

  it('fails unknown names and bad arguments with typed ToolCallErrors', () => {
    const router = createToolRouter([add]);
    const signalContext = { index: 0, signal: new AbortController().signal };
    const run = (name: string, args: unknown) => {
      try {
        router.execute({ id: '1', name, arguments: args }, { ...signalContext, call: { id: '1', name, arguments: args }, reportProgress: () => {}, approved: false, attempt: 1 });
        return 'no error';
      } catch (error) {
        return ToolCallError.isInstance(error) ? error.kind : 'other';
      }
    };
    expect([run('sub', {}), run('add', { a: 'x' }), run('add', { a: 1 })]).toEqual(['unknownTool', 'invalidArguments', 'no error']);
  });
});
