/**
 * A live progress view of tool batches for a terminal: one line per call
 * with its status and elapsed time.
 *
 * On a TTY the current batch's lines are redrawn in place (cursor up, clear
 * line); elsewhere (a pipe, a CI log) each change is appended as a plain line,
 * so logs stay readable. The view is driven by emitted events (the agent's
 * `batch.started`, then the batch's `call.started` / `call.settled` /
 * `batch.settled`) and by an injected `now()`, so tests control time.
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
export type ProgressStatus = 'queued' | 'running' | 'done' | 'failed' | 'timed out' | 'aborted';

/** The events the view reads; every other event type is ignored. `step` is set by the agent. */
export type ProgressEvent =
  | { type: 'batch.started'; step?: number; calls: ReadonlyArray<{ id: string; name: string }>; options?: { concurrency?: number; policy?: string } }
  | { type: 'call.started'; step?: number; index: number; id: string; name: string }
  | { type: 'call.settled'; step?: number; index: number; id: string; name: string; status: string; failure?: { kind: string; message: string } }
  | { type: 'batch.settled'; step?: number; status: string };

/** Options of `createProgressView`. */
export interface ProgressViewOptions {
  /** The stream to write to, such as `process.stderr`. */
  stream: ProgressStream;
  /** The time in ms, for elapsed times. Default: `performance.now`. */
  now?: () => number;
  /** Redraw in place. Default: `stream.isTTY === true`. */
  tty?: boolean;
}

/** A live progress view; feed it events with `handle`. */
export interface ProgressView {
  /** Updates the view with one event; events of other types are ignored. */
  handle(event: { readonly type: string; readonly [key: string]: unknown }): void;
  /** Redraws the current batch on a TTY, to advance running calls' elapsed times; does nothing elsewhere. */
  render(): void;
}

interface CallLine {
  id: string;
  name: string;
  status: ProgressStatus;
  startedAt?: number;
  settledAt?: number;
  detail?: string;
}

interface BatchView {
  header: string;
  calls: CallLine[];
  drawn: number;
  finished: boolean;
}

const ansi = { up: (n: number) => `\x1b[${n}A`, clearLine: '\r\x1b[2K' };

/** How the view words each outcome. */
const statusLabel: Record<CallOutcome, ProgressStatus> = { succeeded: 'done', failed: 'failed', timedOut: 'timed out', aborted: 'aborted' };

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
    return fit((call.detail ? `${text}  ${call.detail}` : text).trimEnd());
  };

  const lines = (view: BatchView): string[] => {
    const widths = {
      id: Math.max(0, ...view.calls.map((call) => call.id.length)),
      name: Math.max(0, ...view.calls.map((call) => call.name.length)),
    };
    return [fit(view.header), ...view.calls.map((call) => format(call, widths))];
  };

  const redraw = (): void => {
    if (!batch) return;
    const next = lines(batch);
    const up = batch.drawn > 0 ? ansi.up(batch.drawn) : '';
    stream.write(up + next.map((line) => `${ansi.clearLine}${line}\n`).join(''));
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
              call.status = 'running';
              call.startedAt = now();
            },
            event,
            event.step,
          );
          return;
        case 'call.settled':
          change(
            event.index,
            (call) => {
              call.status = statusLabel[callOutcome(event)];
              call.settledAt = now();
              call.startedAt ??= call.settledAt;
              if (event.failure && call.status !== 'aborted') call.detail = `${event.failure.kind}: ${event.failure.message}`;
            },
            event,
            event.step,
          );
          return;
        case 'batch.settled': {
          if (!batch || batch.finished) return;
          if (tty) redraw();
          batch.finished = true;
          const counts = new Map<ProgressStatus, number>();
          for (const call of batch.calls) counts.set(call.status, (counts.get(call.status) ?? 0) + 1);
          const summary = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
          stream.write(`${fit(`  batch ${event.status}: ${summary}`)}\n`);
          return;
        }
      }
    },
    render() {
      if (tty && batch && !batch.finished) redraw();
    },
  };
}
