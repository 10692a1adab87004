import { tool } from '@langchain/core/tools';
import { Command } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runToolBatch, type SettledResult } from 'xstate-parallel-tools';
import { fromLangChainTools } from 'xstate-parallel-tools/langchain';
import { controlledLangChainTool } from './controlled-langchain-tool.js';

/** The parts of a settled result a test compares: the output, or the failure's kind and message. */
function outcome(result: SettledResult) {
  return result.ok ? result.output : { id: result.failure.id, kind: result.failure.kind, message: result.failure.message };
}

describe('fromLangChainTools', () => {
  it('runs LangChain tools under runToolBatch, with the call id and the call\'s own signal', async () => {
    const seen: Array<{ id: string | undefined; user: unknown; signal: AbortSignal | undefined }> = [];
    const callerSignal = new AbortController().signal;
    const weather = tool(
      ({ city }, config) => {
        seen.push({ id: config.toolCall?.id, user: config.configurable?.['user'], signal: config.signal });
        return city === 'Oslo' ? `${city}: 12°C` : { city, celsius: 27 };
      },
      { name: 'weather', description: 'Weather of a city', schema: z.object({ city: z.string() }) },
    );

    const outputs = await runToolBatch(
      [
        { id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } },
        { id: 'call_2', name: 'weather', arguments: { city: 'Reykjavik' } },
      ],
      { tools: fromLangChainTools([weather], { config: { configurable: { user: 'ada' }, signal: callerSignal } }) },
    );

    expect(outputs).toEqual([
      { id: 'call_1', result: 'Oslo: 12°C' },
      { id: 'call_2', result: '{"city":"Reykjavik","celsius":27}' },
    ]);
    expect(seen.map(({ id, user }) => ({ id, user }))).toEqual([
      { id: 'call_1', user: 'ada' },
      { id: 'call_2', user: 'ada' },
    ]);
    // Each call gets its own signal, never the one in `config`.
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal);
    expect(seen[0]!.signal).not.toBe(callerSignal);
    expect(seen[0]!.signal).not.toBe(seen[1]!.signal);
  });

  it('validates with the tool\'s own JSON Schema, failing bad arguments with invalidArguments', async () => {
    const add = tool(({ a, b }: { a: number; b: number }) => String(a + b), {
      name: 'add',
      description: 'Adds two numbers',
      schema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      verboseParsingErrors: false,
    });

    const results = await runToolBatch(
      [
        { id: 'ok', name: 'add', arguments: { a: 1, b: 2 } },
        { id: 'bad', name: 'add', arguments: { a: 1 } },
      ],
      { tools: fromLangChainTools([add]), policy: 'settleAll' },
    );

    expect(results.map(outcome)).toEqual([
      { id: 'ok', result: '3' },
      { id: 'bad', kind: 'invalidArguments', message: 'Invalid arguments for "add": Received tool input did not match expected schema' },
    ]);
  });

  it('fails a tool that returns a LangGraph Command with invalidResult', async () => {
    const jump = tool(() => new Command({ goto: 'elsewhere' }), { name: 'jump', description: 'Jumps', schema: z.object({}) });

    const results = await runToolBatch([{ id: 'j', name: 'jump', arguments: {} }], { tools: fromLangChainTools([jump]), policy: 'settleAll' });

    expect(results.map(outcome)).toEqual([
      {
        id: 'j',
        kind: 'invalidResult',
        message: '"jump" returned a Command, not a result: a batch returns data and cannot apply graph updates',
      },
    ]);
  });

  it('aborts the running LangChain tools when a call fails under failFast', async () => {
    const lookup = controlledLangChainTool();
    const run = runToolBatch(
      ['a', 'b'].map((id) => ({ id, name: 'lookup', arguments: { key: id } })),
      { tools: fromLangChainTools([lookup.tool]) },
    );
    await lookup.whenStarted(2);
    lookup.reject('a', new Error('a broke'));

    await expect(run).rejects.toThrow('Tool batch failed under failFast: call 0 (lookup, id a) failed with error: a broke (and 1 more)');
    expect(lookup.signals.get('b')?.aborted).toBe(true);
    expect((lookup.signals.get('b')?.reason as DOMException).name).toBe('AbortError');
  });

  it('rejects what is not a LangChain tool with a TypeError', () => {
    expect(() => fromLangChainTools([{ name: 'x' } as never])).toThrow(
      new TypeError('Expected a LangChain tool (an object with `name` and `invoke`), got `Object` (object)'),
    );
    expect(() => fromLangChainTools('weather' as never)).toThrow(
      new TypeError('Expected `tools` to be an array of LangChain tools, got `weather` (string)'),
    );
  });
});
