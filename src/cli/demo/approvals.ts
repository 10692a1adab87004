/**
 * How the demo answers the approvals its `send_email` calls ask for:
 * `--approve all` or `--approve none`, or, on a terminal without the flag,
 * a y/n question per request, one at a time, under the progress lines.
 *
 * The answer is one key read in raw mode, without echo, so that the progress
 * view can go on redrawing the batch (the other calls run meanwhile) around
 * the question. Ctrl-C still interrupts the run.
 */
import type { Approver } from '../../runtime/durable.js';
import type { ProgressView } from '../../view/progress.js';

/** Reads one y/n answer. */
export type ReadAnswer = () => Promise<boolean>;

/** How the demo decides approvals: every one yes, every one no, or asked. */
export type DemoApprovals = 'all' | 'none' | { ask: ReadAnswer };

/** A terminal's input, as `process.stdin` is on a TTY. */
export interface TerminalInput {
  isTTY: true;
  setRawMode(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Whether `input` is a terminal that keys can be read from one at a time.
 *
 * @param input - such as `process.stdin`.
 * @returns true on a TTY.
 * @example
 * ```ts
 * if (isTerminalInput(process.stdin)) await readYesNo(process.stdin);
 * ```
 */
export function isTerminalInput(input: unknown): input is TerminalInput {
  const candidate = input as Partial<TerminalInput> | null | undefined;
  return candidate?.isTTY === true && typeof candidate.setRawMode === 'function' && typeof candidate.on === 'function';
}

/**
 * Reads keys until `y` or `n` (either case). Ctrl-C interrupts the process,
 * as it would have without raw mode; Ctrl-D answers no.
 *
 * @param input - the terminal.
 * @param interrupt - what Ctrl-C does. Default: send this process SIGINT.
 * @returns true for `y`.
 * @example
 * ```ts
 * const approved = await readYesNo(process.stdin);
 * ```
 */
export function readYesNo(input: TerminalInput, interrupt: () => void = () => process.kill(process.pid, 'SIGINT')): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      // Paused, stdin no longer keeps the process alive once the run ends.
      input.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      for (const key of chunk.toString()) {
        if (key === '\u0003') {
          done();
          interrupt();
          return;
        }
        const answer = /^[yY]$/.test(key) ? true : /^[nN\u0004]$/.test(key) ? false : undefined;
        if (answer !== undefined) {
          done();
          resolve(answer);
          return;
        }
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/**
 * The approver the demo runs its agent with. Asked questions come one at a
 * time, in the order the calls asked, each shown under the batch by the view.
 *
 * @param approvals - `all`, `none`, or `{ ask }`.
 * @param view - where questions are shown.
 * @returns the approver, for `runAgent`'s `approve`.
 * @example
 * ```ts
 * const approve = createDemoApprover({ ask: () => readYesNo(process.stdin) }, view);
 * ```
 */
export function createDemoApprover(approvals: DemoApprovals, view: Pick<ProgressView, 'prompt'>): Approver {
  if (approvals === 'all') return () => true;
  if (approvals === 'none') return () => false;
  let previous: Promise<unknown> = Promise.resolve();
  return (request) => {
    const answer = previous.then(async () => {
      view.prompt(`approve ${request.id} ${request.name}(${JSON.stringify(request.arguments)})? [y/n]`);
      try {
        return await approvals.ask();
      } finally {
        view.prompt();
      }
    });
    previous = answer.catch(() => {});
    return answer;
  };
}

/**
 * The one line that says how approvals are decided.
 *
 * @param approvals - the mode, or `undefined` when stdin is not a terminal and no flag was given.
 * @returns such as `approvals: all (stdin is not a terminal; --approve none to deny)`.
 * @example
 * ```ts
 * approvalsLine('none'); // 'approvals: none (--approve none)'
 * ```
 */
export function approvalsLine(approvals: DemoApprovals | undefined): string {
  if (approvals === undefined) return 'approvals: all (stdin is not a terminal; --approve none to deny)';
  if (typeof approvals === 'string') return `approvals: ${approvals} (--approve ${approvals})`;
  return 'approvals: asked here, y or n per call (--approve all|none to decide up front)';
}
