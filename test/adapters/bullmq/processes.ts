/**
 * Child processes for the BullMQ fault tests: TypeScript run with
 * `node --import tsx`, their stdout kept as lines, and every one of them
 * killed and awaited by `stopAll()`, so that no test leaves a process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root: children run there, so that `tsx` resolves. */
export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A child process and what it printed. */
export interface Child {
  readonly process: ChildProcess;
  /** Its stdout and stderr, line by line. */
  readonly lines: string[];
  /** Its stdout alone, line by line. */
  readonly stdout: string[];
  /** Resolves with the first line (printed so far or later) that matches. */
  line(match: (line: string) => boolean): Promise<string>;
  /** Resolves when it has exited. */
  readonly exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<Child>();

/**
 * Runs a TypeScript file in a new Node process.
 *
 * @param file - the script, relative to the repository root.
 * @param env - added to this process's environment.
 * @param args - its arguments.
 * @returns the child.
 */
export function startChild(file: string, env: Record<string, string>, args: string[] = []): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stdout: string[] = [];
  const waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let stderr = '';
  // stdout and stderr lines go into one list, each stream split on its own.
  const splitter = (also?: string[]) => {
    let buffer = '';
    return (chunk: Buffer): void => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        also?.push(line);
        for (const waiter of [...waiters]) {
          if (!waiter.match(line)) continue;
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    };
  };
  child.stdout!.on('data', splitter(stdout));
  const onStderr = splitter();
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle: Child = {
    process: child,
    lines,
    stdout,
    line(match) {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then(() => reject(new Error(`${file} exited (code ${child.exitCode}, signal ${child.signalCode}) before printing the line; stderr: ${stderr.slice(-2000)}`)));
      });
    },
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** Kills every child still running and waits for each to exit. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill('SIGKILL')));
}

/** The tool log's entries, in the order they were written. */
export function readToolLog<T>(file: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** Resolves once `check` returns true, looking again every 10 ms (the condition is the test's deferred, not a time bound). */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}
