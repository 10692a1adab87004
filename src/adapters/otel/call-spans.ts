/**
 * The spans of batches and their calls, made from what a batch already
 * tells: its emitted events (`call.started`, `call.retrying`,
 * `call.approvalRequested`, `call.progress`, `call.settled`,
 * `batch.settled`) and the start of each call's invocation actor.
 *
 * - **A span per attempt.** Each run of a call's tool is one
 *   `execute_tool {tool}` span, opened as its invocation actor starts (so the
 *   tool, and a BullMQ runner making its job, run with that span active) and
 *   ended when the attempt settles. A retried call has one span per attempt,
 *   each with `xstate_parallel_tools.call.attempt`; a failed attempt that is
 *   retried ends with the failure as its status and `retry_in_ms`.
 * - **An approval wait is a child span**, `await_approval {tool}`, from the
 *   request to the decision; the call's span stays open around it, and the
 *   approved run goes on in it.
 * - **The failure kind is the status**: a failed call's span has status
 *   ERROR with the failure's message, and `error.type` its kind (`error`,
 *   `timeout`, `denied`, …). A success leaves the status unset, as the
 *   conventions ask of instrumentation.
 * - **Queued time** is `xstate_parallel_tools.call.queued_ms`: how long the
 *   call waited for a lane after its batch started, on the batch's clock.
 */
import { context as contextApi, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ToolBatchEmitted, ToolCallLogic } from '../../index.js';
import { keys, spanNames } from './attributes.js';

/** A call's open span. */
interface OpenCall {
  span: Span;
  approval: Span | undefined;
}

/** Counts of a batch's settled calls. */
interface Tally {
  succeeded: number;
  failed: number;
  aborted: number;
  cancelled: number;
}

/**
 * The spans of the batches of one run (one batch for `traceToolBatch`; one
 * per step, one at a time, for `traceAgent`).
 */
export class CallSpans {
  private batch: { span: Span; context: Context; tally: Tally } | undefined;
  private readonly calls = new Map<number, OpenCall>();
  /** Calls of the open batch that were admitted at least once. */
  private readonly started = new Set<number>();

  constructor(
    private readonly tracer: Tracer,
    /** The context a batch span is a child of. */
    private readonly parent: () => Context,
    /** Tool descriptions by name, for `gen_ai.tool.description`. */
    private readonly descriptions: ReadonlyMap<string, string>,
  ) {}

  /** Takes `span`, a child of `parent`, as the batch's span. */
  adopt(span: Span, parent: Context): void {
    this.batch = { span, context: trace.setSpan(parent, span), tally: { succeeded: 0, failed: 0, aborted: 0, cancelled: 0 } };
  }

  /** Opens the batch's span (when none is open), with `attributes`. */
  openBatch(attributes: Attributes): void {
    if (this.batch !== undefined) {
      this.batch.span.setAttributes(attributes);
      return;
    }
    const parent = this.parent();
    const span = this.tracer.startSpan(spanNames.batch, { kind: SpanKind.INTERNAL, attributes }, parent);
    this.batch = { span, context: trace.setSpan(parent, span), tally: { succeeded: 0, failed: 0, aborted: 0, cancelled: 0 } };
  }

  /** Ends the batch's span, when open, with the error that ended the run if any. */
  endBatch(error?: unknown): void {
    const { batch } = this;
    if (batch === undefined) return;
    this.batch = undefined;
    if (error !== undefined) {
      const name = error instanceof Error ? error.name : typeof error;
      batch.span.setAttribute(keys.errorType, name);
      batch.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    // A call still open (awaiting a decision when the batch was cancelled) ends with it.
    for (const [index, open] of this.calls) {
      this.calls.delete(index);
      open.approval?.end();
      open.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the batch ended before the call settled' });
      open.span.end();
    }
    batch.span.end();
  }

  /**
   * The invocation actor logic that opens each attempt's span as it starts
   * and runs the tool with that span active.
   */
  wrap(logic: ToolCallLogic): ToolCallLogic {
    return {
      ...logic,
      start: (snapshot, scope) => {
        if (snapshot.status !== 'active' || snapshot.value !== 'running') return logic.start?.(snapshot, scope);
        const span = this.attemptSpan(snapshot.input.index, snapshot.input.call, snapshot.input.attempt ?? 1, snapshot.input.approved === true);
        return contextApi.with(trace.setSpan(this.batch!.context, span), () => logic.start?.(snapshot, scope));
      },
    };
  }

  private attemptSpan(index: number, call: { id: string; name: string }, attempt: number, approved: boolean): Span {
    this.openBatch({});
    const open = this.calls.get(index);
    if (open !== undefined) {
      // The approved run of a call that asked: it goes on in the call's span.
      open.approval?.setAttribute(keys.decision, 'approved');
      open.approval?.end();
      open.approval = undefined;
      open.span.setAttribute(keys.approved, approved);
      return open.span;
    }
    const attributes: Attributes = {
      [keys.operation]: 'execute_tool',
      [keys.toolName]: call.name,
      [keys.toolCallId]: call.id,
      [keys.toolType]: 'function',
      [keys.callIndex]: index,
      [keys.attempt]: attempt,
    };
    const description = this.descriptions.get(call.name);
    if (description !== undefined) attributes[keys.toolDescription] = description;
    if (approved) attributes[keys.approved] = true;
    const span = this.tracer.startSpan(spanNames.call(call.name), { kind: SpanKind.INTERNAL, attributes }, this.batch!.context);
    this.calls.set(index, { span, approval: undefined });
    return span;
  }

  /** Records one event the batch emitted. */
  handle(event: ToolBatchEmitted): void {
    switch (event.type) {
      case 'call.started': {
        const span = this.calls.get(event.index)?.span;
        span?.setAttribute(keys.lane, event.lane);
        // The first admission of a call: how long it waited for a lane.
        if (span !== undefined && !this.started.has(event.index)) span.setAttribute(keys.queuedMs, event.at);
        this.started.add(event.index);
        return;
      }
      case 'call.progress': {
        const attributes: Attributes = { progress: event.progress };
        if (event.total !== undefined) attributes.total = event.total;
        if (event.message !== undefined) attributes.message = event.message;
        this.calls.get(event.index)?.span.addEvent('progress', attributes);
        return;
      }
      case 'call.approvalRequested': {
        const open = this.calls.get(event.index);
        if (open === undefined || this.batch === undefined) return;
        const attributes: Attributes = { [keys.toolName]: event.name, [keys.toolCallId]: event.id };
        open.approval = this.tracer.startSpan(spanNames.approval(event.name), { kind: SpanKind.INTERNAL, attributes }, trace.setSpan(this.batch.context, open.span));
        return;
      }
      case 'call.retrying': {
        const open = this.calls.get(event.index);
        if (open === undefined) return;
        this.calls.delete(event.index);
        open.span.setAttributes({ [keys.callStatus]: 'retrying', [keys.retryInMs]: event.delayMs, [keys.errorType]: event.failure.kind });
        open.span.setStatus({ code: SpanStatusCode.ERROR, message: event.failure.message });
        open.span.end();
        return;
      }
      case 'call.settled': {
        const open = this.calls.get(event.index);
        const tally = this.batch?.tally;
        if (tally !== undefined) tally[event.status] += 1;
        if (open === undefined) return;
        this.calls.delete(event.index);
        if (open.approval !== undefined) {
          open.approval.setAttribute(keys.decision, event.status === 'cancelled' ? 'cancelled' : 'denied');
          open.approval.end();
        }
        open.span.setAttribute(keys.callStatus, event.status);
        if (event.status !== 'succeeded') {
          const kind = event.failure?.kind ?? 'aborted';
          open.span.setAttribute(keys.errorType, kind);
          open.span.setStatus({ code: SpanStatusCode.ERROR, message: event.failure?.message ?? 'the call was aborted' });
        }
        open.span.end();
        return;
      }
      case 'batch.settled': {
        const batch = this.batch;
        if (batch === undefined) return;
        const { succeeded, failed, aborted, cancelled } = batch.tally;
        batch.span.setAttributes({ [keys.batchStatus]: event.status, [keys.succeeded]: succeeded, [keys.failed]: failed, [keys.aborted]: aborted, [keys.cancelled]: cancelled });
        if (event.status !== 'succeeded') {
          batch.span.setAttribute(keys.errorType, event.status === 'failed' ? 'ToolBatchError' : 'cancelled');
          batch.span.setStatus({ code: SpanStatusCode.ERROR, message: event.status === 'failed' ? `${failed} of ${succeeded + failed + aborted + cancelled} settled calls failed` : 'the batch was cancelled' });
        }
        this.started.clear();
        this.endBatch();
        return;
      }
      default:
        return;
    }
  }
}
