import { afterEach, describe, expect, it, vi } from 'vitest';
import { readmeSnippet, runSnippet } from './helpers/readme.js';

describe('README', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs the Usage example and prints what its comment says', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = readmeSnippet('## Usage');
    await runSnippet(code, 'readme-usage');
    expect(log).toHaveBeenCalledTimes(1);
    const printed = log.mock.calls[0]![0];
    expect(printed).toEqual([
      { id: 'call_1', result: { city: 'Oslo', celsius: 12 } },
      { id: 'call_2', result: { city: 'Lima', celsius: 12 } },
      { id: 'call_3', result: { city: 'Reykjavik', celsius: 27 } },
    ]);
    // The comment in the snippet shows the same value.
    const comment = code.slice(code.indexOf('// [')).replace(/^\/\/ ?/gm, '');
    expect(JSON.parse(comment.replace(/(\w+):/g, '"$1":').replace(/'/g, '"'))).toEqual(printed);
  });

  it('runs the "Use it in your agent" example and prints what its comment says', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = readmeSnippet('## Use it in your agent');
    await runSnippet(code, 'readme-agent');
    expect(log).toHaveBeenCalledTimes(1);
    const [status, messages] = log.mock.calls[0]!;
    expect(status).toBe('done');
    expect(messages).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: '{"city":"Oslo","celsius":12}' },
      { role: 'tool', tool_call_id: 'call_2', content: '{"city":"Lima","celsius":12}' },
      { role: 'assistant', content: 'Both are at 12 °C.' },
    ]);
    // The comment in the snippet shows the same values.
    const comment = code.slice(code.indexOf('// done [')).replace(/^\/\/ ?/gm, '');
    expect(comment.startsWith('done [')).toBe(true);
    // The comment is a JS literal (single quotes, JSON inside strings): evaluate it rather than rewrite it.
    const shown: unknown = new Function(`return (${comment.slice('done '.length)});`)();
    expect(shown).toEqual(messages);
  });
});

describe('README ecosystem snippets', () => {
  it.each(['ai-sdk', 'mcp', 'anthropic', 'langchain', 'openai-agents', 'bullmq', 'postgres', 'otel'])('shows the readme region of examples/%s.ts, as it is', async (name) => {
    const { exampleRegion } = await import('./helpers/example-region.js');
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${exampleRegion(name)}\n\`\`\``);
  });
});

describe('README Postgres schema', () => {
  it('shows the tables the Postgres store makes, as it makes them', async () => {
    const { createStatements, tablesOf } = await import('../src/adapters/postgres/tables.js');
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`sql\n${createStatements(tablesOf(undefined, 'xstate_parallel_tools_runs')).join(';\n')};\n\`\`\``);
  });
});

describe('README feature snippets', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs the "Approvals, retries and durable runs" example and prints what its comments say', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await runSnippet(readmeSnippet('## Approvals, retries and durable runs'), 'readme-approvals');
    expect(log.mock.calls).toEqual([
      [[{ id: 'b2', name: 'buy', arguments: { symbol: 'ACME', shares: 500 } }], 3],
      ['done', { role: 'tool', tool_call_id: 'b2', content: '{"error":{"kind":"denied","message":"the call was denied: not approved"}}' }],
    ]);
  });

  it('runs the "Partial results" example and prints what its comments say', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await runSnippet(readmeSnippet('### Partial results'), 'readme-partials');
    expect(log.mock.calls).toEqual([
      ['c1', { site: 'a.example', crawled: 1 }],
      ['c2', { site: 'b.example', crawled: 1 }],
      ['c1', { site: 'a.example', crawled: 2 }],
      [
        [
          { id: 'c1', result: { site: 'a.example', pages: 2 } },
          { id: 'c2', result: { site: 'b.example', pages: 1 } },
        ],
      ],
    ]);
  });

  it('runs the "Cancel one call" example and prints what its comments say', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await runSnippet(readmeSnippet('### Cancel one call'), 'readme-cancel-one');
    expect(log.mock.calls).toEqual([['cancelled'], [['results for xstate', 'the call was cancelled: the user gave up']]]);
  });

  it('runs the "Test your agent" example and prints what its comments say', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await runSnippet(readmeSnippet('## Test your agent'), 'readme-testing');
    expect(log.mock.calls).toEqual([
      [[{ id: 'a', result: 'A' }, { id: 'b', result: 'B' }, { id: 'c', result: 'C' }], 2],
      [4, []],
    ]);
  });
});

describe('README: your own invocation actor', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs the createToolCallLogic example and prints what its comment says', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await runSnippet(readmeSnippet('#### Your own invocation actor'), 'readme-own-actor');
    expect(log.mock.calls).toEqual([[{ status: 'succeeded', outputs: [{ id: 'c1', result: { echoed: { text: 'hi' } } }] }]]);
  });
});
