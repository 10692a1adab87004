/**
 * The CLI's `run` command with an assistant message whose tool calls name
 * `constructor` and `__proto__` (and use them as ids and argument keys):
 * each such call fails alone with `unknownTool`, the others run, and the
 * command exits 0 with a tool message per call, in tool_calls order.
 */
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../src/cli/cli.js';
import { unknownToolMessage } from '../helpers/names.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

const root = fileURLToPath(new URL('../../', import.meta.url));

async function run(argv: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { isTTY: false, write: (chunk: string) => err.push(chunk) },
    stdin: Readable.from([stdin]),
    cwd: root,
    env: {},
    now: () => 0,
  };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** The message as a model sends it: JSON text, with prototype keys as names, ids and keys. */
const message = `{
  "role": "assistant",
  "content": null,
  "__proto__": { "role": "user" },
  "tool_calls": [
    { "id": "__proto__", "type": "function", "function": { "name": "constructor", "arguments": "{\\"__proto__\\":{\\"a\\":1}}" } },
    { "id": "constructor", "type": "function", "function": { "name": "__proto__", "arguments": "{}" } },
    { "id": "toString", "type": "function", "function": { "name": "add", "arguments": "{\\"a\\":1,\\"b\\":2,\\"__proto__\\":{}}" } },
    { "id": "hasOwnProperty", "type": "function", "function": { "name": "toString", "arguments": "" } }
  ]
}`;

const known = ['add', 'upper', 'fail'];
const unknownReply = (id: string, name: string) => ({
  role: 'tool',
  tool_call_id: id,
  content: JSON.stringify({ error: { kind: 'unknownTool', message: unknownToolMessage(name, known) } }),
});

describe('xstate-parallel-tools run, with prototype keys as names and ids', () => {
  it.each([[[]], [['--policy', 'settleAll', '--concurrency', '1']]])('exits 0 and prints a tool message per call, unknownTool for constructor and __proto__ (%j)', async (flags) => {
    const result = await run(['run', '-', '--tools', 'test/fixtures/tools.ts', ...flags], message);
    expect(result).toEqual({
      code: 0,
      stdout: `${JSON.stringify(
        [unknownReply('__proto__', 'constructor'), unknownReply('constructor', '__proto__'), { role: 'tool', tool_call_id: 'toString', content: '3' }, unknownReply('hasOwnProperty', 'toString')],
        null,
        2,
      )}\n`,
      stderr: '',
    });
  });
});
