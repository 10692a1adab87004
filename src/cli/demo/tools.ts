/**
 * The demo's tools: real local work on the files of this repository, plus a
 * slow tool, a failing one, one that needs an approval (`send_email`, which
 * only pretends) and a flaky one that succeeds on its third attempt, so that
 * one batch shows every outcome, an approval and retries.
 *
 * File tools are confined to the repository root: a path that leads outside
 * it (`../x`, an absolute path elsewhere, a symlink out) fails the call.
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineTool, type AnyTool } from '../../runtime/tools.js';
import { calculate } from './calculate.js';

/**
 * This package's root (the nearest folder above this file with a
 * package.json), which the demo's file tools are confined to: `src/cli/demo/` run
 * by tsx and `dist/src/cli/demo/` run by the built command sit at different depths.
 */
export const repositoryRoot = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/** Options of `createDemoTools`. */
export interface DemoToolsOptions {
  /** The directory the file tools may read. Default: this repository's root. */
  root?: string;
}

function inside(root: string, file: string): boolean {
  const path = relative(root, file);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

/** Resolves a path against the root and refuses any that ends up outside it, symlinks followed. */
async function confined(root: string, path: string): Promise<string> {
  const realRoot = await realpath(root);
  const file = resolve(realRoot, path);
  if (!inside(realRoot, file) || !inside(realRoot, await realpath(file))) {
    throw new Error(`"${path}" is outside the repository`);
  }
  return file;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const pathParameters = z.object({ path: z.string().min(1).describe('A path relative to the repository root, such as README.md') });

/**
 * Creates the demo's tools: `stat_file`, `hash_file`, `count_words`, `calculate`, `slow`, `failing`,
 * `send_email` (needs an approval; sends nothing) and `flaky` (50 ms per attempt, fails its first
 * `failures` attempts; retried up to 3 attempts, 100 ms then 200 ms apart).
 *
 * @param options - `root`: the directory the file tools may read. Default: this repository's root.
 * @returns the tools, for `runAgent` or `runToolBatch`.
 * @example
 * ```ts
 * const outputs = await runToolBatch(
 *   [{ id: 'c1', name: 'hash_file', arguments: { path: 'package.json' } }],
 *   { tools: createDemoTools() },
 * );
 * // [{ id: 'c1', result: { path: 'package.json', sha256: '…' } }]
 * ```
 */
export function createDemoTools(options: DemoToolsOptions = {}): AnyTool[] {
  const root = options.root ?? repositoryRoot;
  return [
    defineTool({
      name: 'stat_file',
      description: 'Size in bytes and number of lines of a file of the repository',
      parameters: pathParameters,
      execute: async ({ path }, { signal }) => {
        const file = await confined(root, path);
        const [info, text] = await Promise.all([stat(file), readFile(file, { encoding: 'utf8', signal })]);
        return { path, bytes: info.size, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) };
      },
    }),
    defineTool({
      name: 'hash_file',
      description: 'SHA-256 of a file of the repository, in hex',
      parameters: pathParameters,
      execute: async ({ path }, { signal }) => {
        const bytes = await readFile(await confined(root, path), { signal });
        return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
      },
    }),
    defineTool({
      name: 'count_words',
      description: 'Number of words (runs of non-space characters) in a file of the repository',
      parameters: pathParameters,
      execute: async ({ path }, { signal }) => {
        const text = await readFile(await confined(root, path), { encoding: 'utf8', signal });
        return { path, words: text.split(/\s+/).filter(Boolean).length };
      },
    }),
    defineTool({
      name: 'calculate',
      description: 'Evaluates arithmetic: numbers, + - * / %, ^ for powers, parentheses',
      parameters: z.object({ expression: z.string().min(1).max(500).describe('Such as (1 + 2) * 3 ^ 2 / 4') }),
      execute: ({ expression }) => {
        const value = calculate(expression);
        if (!Number.isFinite(value)) throw new RangeError(`${expression} is not a finite number`);
        return { expression, value };
      },
    }),
    defineTool({
      name: 'slow',
      description: 'Waits for the given time, then answers; stops at once when cancelled',
      parameters: z.object({ ms: z.number().int().min(0).max(60_000).describe('How long to wait, in ms') }),
      execute: async ({ ms }, { signal }) => {
        await sleep(ms, signal);
        return { waitedMs: ms };
      },
    }),
    defineTool({
      name: 'failing',
      description: 'Always fails, with the given reason: shows how a failed call reaches the model',
      parameters: z.object({ reason: z.string().default('it always does') }),
      execute: async ({ reason }) => {
        throw new Error(`failing tool failed on purpose: ${reason}`);
      },
    }),
    defineTool({
      name: 'send_email',
      description: 'Sends an email (the demo only pretends to); each call needs your approval first',
      parameters: z.object({ to: z.string().min(1).max(200), subject: z.string().max(200) }),
      needsApproval: true,
      execute: ({ to, subject }) => ({ to, subject, status: 'sent (pretend: the demo sends nothing)' }),
    }),
    defineTool({
      name: 'flaky',
      description: 'Takes 50 ms, like a request; fails its first `failures` attempts, then answers: shows retries with backoff',
      parameters: z.object({ failures: z.number().int().min(0).max(10).describe('How many attempts fail before one succeeds') }),
      retry: { attempts: 3, initialDelayMs: 100 },
      // The attempt number comes from the batch, so the outcome is the same on every run.
      execute: async ({ failures }, { attempt, signal }) => {
        await sleep(50, signal);
        if (attempt <= failures) throw new Error(`flaky fails its first ${failures} attempts; this was attempt ${attempt}`);
        return { attempt };
      },
    }),
  ];
}
