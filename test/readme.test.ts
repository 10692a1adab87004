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
});
