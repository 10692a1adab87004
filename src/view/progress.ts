/**
 * A live progress view of tool batches for a terminal: one line per call
 * with its status and elapsed time.
 *
 * On a TTY the current batch's lines are redrawn in place (cursor up, clear
 * line); elsewhere (a pipe, a CI log) each change is appended as a plain line,
 * so logs stay readable. The view is driven by emitted events (the agent's
 * `batch.started`, then the batch's `call.started` / `call.settled` /
 * `batch.settled`) and by an injected `now()`, so tests control time.
 *
 * A call that asked for an approval shows `waiting for approval` (it holds no
 * lane meanwhile); a call backing off shows `retry 2 in 400 ms`, or
 * `retry 2/3 in 400 ms` when the view is told the tool's attempts: the
 * `call.retrying` event carries the next attempt, not the total. A question
 * put with `prompt()` stays under the batch's lines while it is redrawn.
 * A streaming tool's running call shows its latest partial result
 * (`partial: {"rows":40}`), cut to `partialWidth` characters.
 */
import { callOutcome, type CallOutcome } from './call-outcome.js';

/** Where the view writes: `process.stderr`, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** True on a terminal: lines are then redrawn in place. */
  isTTY?: boolean;
  /** The terminal's width; longer lines are cut so that they never wrap (which would break the redraw). */
  columns?: number;
}

/** A call's status as the view shows it. */
export type ProgressStatus = 'queued' | 'running' | 'waiting' | 'retrying' | 'done' | 'failed' | 'timed out' | 'aborted' | 'cancelled';

/** The events the view reads; every other event type is ignored. `step` is set by the agent. */
export type ProgressEvent =
  | { type: 'batch.started'; step?: number; calls: ReadonlyArray<{ id: string; name: string }>; options?: { concurrency?: number; policy?: string } }
  | { type: 'call.started'; step?: number; index: number; id: string; name: string }
  | { type: 'call.settled'; step?: number; index: number; id: string; name: string; status: string; failure?: { kind: string; message: string; attempts?: number } }
  | { type: 'call.approvalRequested'; step?: number; index: number; id: string; name: string }
  | { type: 'call.retrying'; step?: number; index: number; id: string; name: string; attempt: number; delayMs: number; failure: { kind: string; message: string } }
  | { type: 'call.progress'; step?: number; index: number; id: string; name: string; message?: string }
  | { type: 'call.partial'; step?: number; index: number; id: string; name: string; value: unknown }
  | { type: 'batch.settled'; step?: number; status: string };

/** Options of `createProgressView`. */
export interface ProgressViewOptions {
  /** The stream to write to, such as `process.stderr`. */
  stream: ProgressStream;
  /** The time in ms, for elapsed times. Default: `performance.now`. */
  now?: () => number;
  /** Redraw in place. Default: `stream.isTTY === true`. */
  tty?: boolean;
  /** The most attempts per tool name (its `retry.attempts`), to show `retry 2/3`. Default: `{}` (shows `retry 2`). */
  attempts?: Readonly<Record<string, number>>;
}

/** A live progress view; feed it events with `handle`. */
export interface ProgressView {
  /** Updates the view with one event; events of other types are ignored. */
  handle(event: { readonly type: string; readonly [key: string]: unknown }): void;
  /** Redraws the current batch on a TTY, to advance running calls' elapsed times; does nothing elsewhere. */
  render(): void;
  /**
   * Shows a question (such as an approval's) under the batch's lines, kept there
   * by every redraw until `prompt()` without one clears it; without a TTY it is
   * appended once.
   */
  prompt(question?: string): void;
}

interface CallLine {
  id: string;
  name: string;
  status: ProgressStatus;
  startedAt?: number;
  settledAt?: number;
  detail?: string;
  /** The last progress message, such as `on worker-2` from a remote worker, or the latest partial result. */
  note?: string;
  /** The attempt running or due, once the call was retried. */
  attempt?: number;
}

interface BatchView {
  header: string;
  calls: CallLine[];
  drawn: number;
  finished: boolean;
}

/** How many characters of a partial result the view shows. */
const partialWidth = 40;

/** A partial result as one short line: a string as it is, anything else as JSON. */
function showPartial(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    // The batch checked the value as JSON; an event from elsewhere may not be.
    text = '(not JSON)';
  }
  text = text.replace(/\s+/g, ' ');
  return `partial: ${text.length > partialWidth ? `${text.slice(0, partialWidth - 1)}…` : text}`;
}

const ansi = { up: (n: number) => `\x1b[${n}A`, clearLine: '\r\x1b[2K', clearDown: '\x1b[J' };

/** How the view words each outcome. */
const statusLabel: Record<CallOutcome, ProgressStatus> = { succeeded: 'done', failed: 'failed', timedOut: 'timed out', aborted: 'aborted', cancelled: 'cancelled' };

function batchHeader(event: Extract<ProgressEvent, { type: 'batch.started' }> | undefined, step: number | undefined): string {
  const parts = [step === undefined ? 'batch' : `step ${step}`];
  if (event) parts.push(`${event.calls.length} ${event.calls.length === 1 ? 'call' : 'calls'}`);
  const concurrency = event?.options?.concurrency;
  if (concurrency !== undefined) parts.push(`concurrency ${concurrency === Infinity ? '∞' : concurrency}`);
  if (event?.options?.policy !== undefined) parts.push(event.options.policy);
  return parts.join(' · ');
}

/**
 * Creates a progress view that writes to a stream.
 *
 * @param options - `stream`, and optionally `now` (default `performance.now`) and `tty` (default `stream.isTTY`).
 * @returns the view: pass every agent or batch event to `handle`.
 * @example
 * ```ts
 * const view = createProgressView({ stream: process.stderr });
 * await runAgent({ model, tools, messages, onEvent: (event) => view.handle(event) });
 * ```
 */
export function createProgressView(options: ProgressViewOptions): ProgressView {
  const { stream } = options;
  const now = options.now ?? (() => performance.now());
  const tty = options.tty ?? stream.isTTY === true;
  let batch: BatchView | undefined;
  /** The question `prompt()` shows under the batch, on a TTY. */
  let question: string | undefined;
  const attemptOf = (call: CallLine, attempt: number): string => {
    const { attempts } = options;
    const total = attempts !== undefined && Object.hasOwn(attempts, call.name) ? attempts[call.name] : undefined;
    return total === undefined ? `${attempt}` : `${attempt}/${total}`;
  };

  const fit = (line: string): string => {
    const columns = stream.columns;
    // A pseudo-terminal may report 0 columns: then there is nothing to fit.
    if (!tty || !columns || columns < 20 || line.length < columns) return line;
    return `${line.slice(0, Math.max(0, columns - 2))}…`;
  };

  const format = (call: CallLine, widths: { id: number; name: number }): string => {
    const end = call.settledAt ?? now();
    const elapsed = call.startedAt === undefined ? '' : `${Math.round(end - call.startedAt)} ms`;
    const text = `  ${call.status.padEnd(9)}  ${call.id.padEnd(widths.id)}  ${call.name.padEnd(widths.name)}  ${elapsed.padStart(8)}`;
    const detail = [call.note, call.detail].filter(Boolean).join('  ');
    return fit((detail ? `${text}  ${detail}` : text).trimEnd());
  };

  const lines = (view: BatchView): string[] => {
    // Without a batch.started (a bare batch, or one resumed from a checkpoint) calls may be missing: skip the holes.
    const known = view.calls.filter(Boolean);
    const widths = {
      id: Math.max(0, ...known.map((call) => call.id.length)),
      name: Math.max(0, ...known.map((call) => call.name.length)),
    };
    return [fit(view.header), ...Array.from(view.calls, (call) => (call ? format(call, widths) : ''))];
  };

  const redraw = (): void => {
    if (!batch) return;
    const all = lines(batch);
    const next = [all[0]!, ...all.slice(1).filter(Boolean), ...(question === undefined ? [] : [fit(question)])];
    const up = batch.drawn > 0 ? ansi.up(batch.drawn) : '';
    // Fewer lines than last time (a question answered): clear what is left below.
    const rest = next.length < batch.drawn ? ansi.clearDown : '';
    stream.write(up + next.map((line) => `${ansi.clearLine}${line}\n`).join('') + rest);
    batch.drawn = next.length;
  };

  /** Without a TTY, one plain line per change. */
  const append = (index: number): void => {
    if (!batch) return;
    const all = lines(batch);
    stream.write(`${index < 0 ? all[0] : all[index + 1]}\n`);
  };

  const begin = (event: Extract<ProgressEvent, { type: 'batch.started' }> | undefined, step: number | undefined): BatchView => {
    const calls = (event?.calls ?? []).map((call): CallLine => ({ id: call.id, name: call.name, status: 'queued' }));
    const view: BatchView = { header: batchHeader(event, step), calls, drawn: 0, finished: false };
    batch = view;
    if (tty) redraw();
    else {
      append(-1);
      calls.forEach((_, index) => append(index));
    }
    return view;
  };

  const change = (index: number, update: (call: CallLine) => void, fallback: { id: string; name: string }, step?: number): void => {
    const view = batch && !batch.finished ? batch : begin(undefined, step);
    // Events without a batch.started (a bare runToolBatch) add their call when it starts.
    view.calls[index] ??= { id: fallback.id, name: fallback.name, status: 'queued' };
    update(view.calls[index]!);
    if (tty) redraw();
    else append(index);
  };

  return {
    handle(raw) {
      const event = raw as ProgressEvent;
      switch (event.type) {
        case 'batch.started':
          begin(event, event.step);
          return;
        case 'call.started':
          change(
            event.index,
            (call) => {
              if (call.status === 'waiting') call.detail = 'approved';
              else if (call.attempt !== undefined) call.detail = `attempt ${attemptOf(call, call.attempt)}`;
              call.status = 'running';
              // A call that waited for an approval or backed off keeps its first start: its time counts the waits.
              call.startedAt ??= now();
            },
            event,
            event.step,
          );
          return;
        case 'call.settled':
          change(
            event.index,
            (call) => {
              if (call.status === 'waiting' || call.status === 'retrying') delete call.detail;
              call.status = statusLabel[callOutcome(event)];
              call.settledAt = now();
              const attempts = event.failure?.attempts === undefined ? '' : ` · ${event.failure.attempts} attempts`;
              // A cancel's message already says so ("the call was cancelled: why"): the view shows it alone.
              if (event.failure && call.status === 'cancelled') call.detail = event.failure.message;
              else if (event.failure && call.status !== 'aborted') call.detail = `${event.failure.kind}: ${event.failure.message}${attempts}`;
            },
            event,
            event.step,
          );
          return;
        case 'call.approvalRequested':
          change(
            event.index,
            (call) => {
              call.status = 'waiting';
              call.detail = 'waiting for approval';
              delete call.note;
            },
            event,
            event.step,
          );
          return;
        case 'call.retrying':
          change(
            event.index,
            (call) => {
              call.status = 'retrying';
              call.attempt = event.attempt;
              call.detail = `retry ${attemptOf(call, event.attempt)} in ${Math.round(event.delayMs)} ms · ${event.failure.kind}: ${event.failure.message}`;
              delete call.note;
            },
            event,
            event.step,
          );
          return;
        case 'call.progress':
          // Only a message changes the line; bare progress numbers are not shown.
          if (event.message === undefined || !batch || batch.finished || batch.calls[event.index]?.status !== 'running') return;
          change(event.index, (call) => (call.note = event.message), event, event.step);
          return;
        case 'call.partial':
          // The latest partial of a running call; one that arrives after it settled changes nothing.
          if (!batch || batch.finished || batch.calls[event.index]?.status !== 'running') return;
          change(event.index, (call) => (call.note = showPartial(event.value)), event, event.step);
          return;
        case 'batch.settled': {
          if (!batch || batch.finished) return;
          question = undefined;
          if (tty) redraw();
          batch.finished = true;
          const counts = new Map<ProgressStatus, number>();
          for (const call of batch.calls.filter(Boolean)) counts.set(call.status, (counts.get(call.status) ?? 0) + 1);
          const summary = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
          stream.write(`${fit(`  batch ${event.status}: ${summary}`)}\n`);
          return;
        }
      }
    },
    render() {
      if (tty && batch && !batch.finished) redraw();
    },
    prompt(text) {
      if (tty && batch && !batch.finished) {
        question = text;
        redraw();
      } else if (text !== undefined) stream.write(`${fit(text)}\n`);
    },
  };
}
