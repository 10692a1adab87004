#!/usr/bin/env node
/**
 * The command line, bin `xstate-parallel-tools`:
 * - `demo` (the default, `npm start`): the demo agent with live progress and timelines;
 * - `run <assistant-message.json|-> --tools <module>`: one recorded assistant
 *   message's tool calls as one batch, tool messages as JSON on stdout.
 *
 * Exit codes: 0 done; 1 the agent or the batch failed; 2 bad flags or input
 * (a missing file, bad JSON, a module without tools). Errors are one line on stderr.
 * The logic is in `main(argv, io)` so that tests run it in-process.
 */
import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runDemo, type DemoIo } from './demo/run-demo.js';
import { isTerminalInput, readYesNo, type DemoApprovals } from './demo/approvals.js';
import { workerCommand } from './worker-command.js';
import { importTools } from './tools-module.js';
import { demoScript } from './demo/script.js';
import { ToolBatchError } from '../core/errors.js';
import type { ChatModel } from '../models/chat-model.js';
import { createScriptedModel } from '../models/scripted-model.js';
import { toToolCalls, toToolMessages, type ChatToolCall } from '../core/chat-format.js';
import { isConcurrency, isTimeout } from '../core/options.js';
import { runToolBatch } from '../runtime/run-tool-batch.js';
import { joinPolicies, type JoinPolicy } from '../core/schemas.js';
import { createToolRouter } from '../runtime/tools.js';

/** The process's streams and environment, or fakes in tests. */
export interface CliIo extends DemoIo {
  /** Read by `run -`. */
  stdin: AsyncIterable<string | Uint8Array>;
  /** `OPENAI_BASE_URL` and `OPENAI_API_KEY` are read from it. */
  env: Record<string, string | undefined>;
}

/** The usage text, printed by `--help`. */
export const usage = `Usage:
  xstate-parallel-tools [demo] [--concurrency N] [--policy joinAll|failFast|settleAll] [--timeout ms]
                               [--model scripted|openai:<name>] [--inspect file.jsonl] [--out dir] [--workers N]
                               [--approve all|none] [--run-id id] [--trace]
  xstate-parallel-tools run <assistant-message.json|-> --tools <module> [--concurrency N] [--policy P] [--timeout ms]
  xstate-parallel-tools worker --tools <module> [--redis url] [--queue name] [--concurrency N]   (worker --help for more)

demo defaults: --concurrency 3 --policy settleAll --timeout 1000 --model scripted --out out
               --approve: asks y/n per call on a terminal, all when stdin is not one
               --run-id: none; with one, the run is checkpointed in <out>/runs/ and resumes when started again
               --trace: prints the run's OpenTelemetry span tree with durations on stderr
run defaults:  --concurrency Infinity --policy settleAll, no timeout
`;

/** Bad flags or input: exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

const flagOptions = {
  concurrency: { type: 'string', short: 'c' },
  policy: { type: 'string', short: 'p' },
  timeout: { type: 'string', short: 't' },
  model: { type: 'string' },
  inspect: { type: 'string' },
  out: { type: 'string', short: 'o' },
  workers: { type: 'string' },
  approve: { type: 'string' },
  'run-id': { type: 'string' },
  trace: { type: 'boolean' },
  tools: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const demoOnly = ['model', 'inspect', 'out', 'workers', 'approve', 'run-id', 'trace'] as const;

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: flagOptions, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    throw new UsageError(unknown === undefined ? message : `unknown flag ${unknown} (see --help)`);
  }
}

type Flags = ReturnType<typeof parseFlags>['values'];

function batchFlags(flags: Flags, defaults: { concurrency: number; policy: JoinPolicy; timeoutMs?: number }) {
  const concurrency = flags.concurrency === undefined ? defaults.concurrency : Number(flags.concurrency);
  if (!isConcurrency(concurrency)) throw new UsageError(`--concurrency must be an integer from 1 up or Infinity, got "${flags.concurrency}"`);
  const policy = (flags.policy ?? defaults.policy) as JoinPolicy;
  if (!joinPolicies.includes(policy)) throw new UsageError(`--policy must be one of ${joinPolicies.join(', ')}, got "${flags.policy}"`);
  const timeoutMs = flags.timeout === undefined ? defaults.timeoutMs : Number(flags.timeout);
  if (timeoutMs !== undefined && !isTimeout(timeoutMs)) throw new UsageError(`--timeout must be a number of ms above 0, got "${flags.timeout}"`);
  return { concurrency, policy, timeoutMs };
}

async function demoModel(spec: string, env: CliIo['env']): Promise<ChatModel> {
  if (spec === 'scripted') return createScriptedModel(demoScript, { name: 'scripted' });
  const name = /^openai:(.+)$/.exec(spec)?.[1];
  if (name === undefined) throw new UsageError(`--model must be scripted or openai:<name>, got "${spec}"`);
  const baseURL = env.OPENAI_BASE_URL;
  // Local OpenAI-compatible servers often need no key, but the client insists on one.
  const apiKey = env.OPENAI_API_KEY ?? (baseURL === undefined ? undefined : 'none');
  // Loaded only here: `openai` is an optional peer dependency, and the scripted demo needs none.
  let createOpenAIModel: typeof import('../adapters/openai/openai-model.js').createOpenAIModel;
  try {
    ({ createOpenAIModel } = await import('../adapters/openai/openai-model.js'));
  } catch (error) {
    throw new UsageError(`--model openai:<name> needs the \`openai\` package (npm install openai): ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return createOpenAIModel({ model: name, ...(baseURL === undefined ? {} : { baseURL }), ...(apiKey === undefined ? {} : { apiKey }) });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

const assistantMessageSchema = z.object({
  role: z.literal('assistant'),
  content: z.string().nullable().optional(),
  tool_calls: z
    .array(z.object({ id: z.string().min(1), type: z.literal('function'), function: z.object({ name: z.string().min(1), arguments: z.string() }) }))
    .min(1),
});

async function readInput(file: string, io: CliIo): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(error)}`);
  }
}

async function runCommand(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const used = demoOnly.filter((name) => flags[name] !== undefined);
  if (used.length > 0) throw new UsageError(`--${used[0]} is a demo flag; run takes --tools, --concurrency, --policy and --timeout`);
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('run needs an assistant message file, or - for stdin');
  if (extra.length > 0) throw new UsageError(`run takes one file, got also "${extra[0]}"`);
  if (flags.tools === undefined) throw new UsageError('run needs --tools <module>');
  const options = batchFlags(flags, { concurrency: Infinity, policy: 'settleAll' });
  const text = await readInput(file, io);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = assistantMessageSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`).join('; ');
    throw new UsageError(`${file} is not an assistant message with tool_calls (${problems})`);
  }
  const toolCalls: ChatToolCall[] = parsed.data.tool_calls;
  let router;
  try {
    router = createToolRouter(await importTools(flags.tools, io.cwd, (message) => new UsageError(message)));
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError(`${flags.tools}: ${(error as Error).message}`);
  }
  const batch = { router, concurrency: options.concurrency, policy: options.policy, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) };
  try {
    const outcome = await runToolBatch(toToolCalls(toolCalls), batch);
    io.stdout.write(`${JSON.stringify(toToolMessages(toolCalls, outcome), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (!ToolBatchError.isInstance(error)) throw error;
    io.stdout.write(`${JSON.stringify(toToolMessages(toolCalls, error.outputs), null, 2)}\n`);
    const first = error.failures[0]!;
    const more = error.failures.length > 1 ? ` (and ${error.failures.length - 1} more)` : '';
    io.stderr.write(`xstate-parallel-tools: the batch failed (${error.policy}): ${first.id} ${first.name}: ${first.kind}: ${first.message}${more}\n`);
    return 1;
  }
}

/** `--approve all|none`; without it, asked on a terminal, else the demo's default (all). */
function demoApprovals(flag: string | undefined, stdin: unknown): { approve?: DemoApprovals } {
  if (flag === 'all' || flag === 'none') return { approve: flag };
  if (flag !== undefined) throw new UsageError(`--approve must be all or none, got "${flag}"`);
  return isTerminalInput(stdin) ? { approve: { ask: () => readYesNo(stdin) } } : {};
}

async function demoCommand(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`demo takes no arguments, got "${positionals[0]}"`);
  if (flags.tools !== undefined) throw new UsageError('--tools is a run flag');
  const { concurrency, policy, timeoutMs } = batchFlags(flags, { concurrency: 3, policy: 'settleAll', timeoutMs: 1000 });
  if (flags.workers !== undefined && !/^[1-9]\d?$/.test(flags.workers)) throw new UsageError(`--workers must be an integer from 1 to 99, got "${flags.workers}"`);
  const runId = flags['run-id'];
  if (runId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(runId)) {
    throw new UsageError(`--run-id must be letters, digits, ".", "_" or "-" (up to 100, starting with a letter or digit), got "${runId}"`);
  }
  return runDemo(
    {
      model: await demoModel(flags.model ?? 'scripted', io.env),
      concurrency,
      policy,
      timeoutMs: timeoutMs!,
      outDir: flags.out ?? 'out',
      ...(flags.inspect === undefined ? {} : { inspectFile: flags.inspect }),
      ...(flags.workers === undefined ? {} : { workers: Number(flags.workers), env: io.env }),
      ...demoApprovals(flags.approve, io.stdin),
      ...(flags['run-id'] === undefined ? {} : { runId: flags['run-id'] }),
      ...(flags.trace === true ? { trace: true } : {}),
    },
    io,
  );
}

/**
 * Runs the command line.
 *
 * @param argv - the arguments after the program name, such as `['run', 'message.json', '--tools', 'tools.js']`.
 * @param io - `stdout`, `stderr`, `stdin`, `cwd`, `env` (and optionally `now`).
 * @returns the exit code: 0 done, 1 the agent or the batch failed, 2 bad flags or input.
 * @example
 * ```ts
 * const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env });
 * process.exitCode = code;
 * ```
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    if (argv[0] === 'worker') return await workerCommand(argv.slice(1), io);
    const { values: flags, positionals } = parseFlags(argv);
    if (flags.help) {
      io.stdout.write(usage);
      return 0;
    }
    const [command = 'demo', ...rest] = positionals;
    if (command === 'demo') return await demoCommand(rest, flags, io);
    if (command === 'run') return await runCommand(rest, flags, io);
    throw new UsageError(`unknown command "${command}" (commands: demo, run; see --help)`);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    io.stderr.write(`xstate-parallel-tools: ${message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

const invokedPath = process.argv[1] === undefined ? undefined : await realpath(process.argv[1]).catch(() => undefined);
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
  });
}
