import { context, ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';

import { spanFailed } from './slice-spans';
import { parseTraceparent } from './trace-context';

/**
 * A timer job's run as a span of its own trace (it runs days after the commit that scheduled it, and may wake several
 * times: each reminder, then the deletion), linked to the span that scheduled it when the job stored one. A link, not
 * a parent: a parent's trace would stay open for 60 days. What the run commits (a reminder, `data-deleted`) names this
 * span in its lifecycle headers and its log lines carry its ids.
 */
export async function inTimerSpan<T>(
  tracer: Tracer | null,
  job: { readonly name: string; readonly id: string; readonly attempt: number },
  scheduledBy: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (tracer === null) return await work();
  const scheduler = parseTraceparent(scheduledBy);
  const span = tracer.startSpan(
    `timer ${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'billing.job.name': job.name, 'billing.job.id': job.id, 'billing.job.attempt': job.attempt },
      links: scheduler === null ? [] : [{ context: scheduler, attributes: { 'billing.link': 'scheduled-by' } }],
    },
    ROOT_CONTEXT,
  );
  try {
    return await context.with(trace.setSpan(ROOT_CONTEXT, span), work);
  } catch (error) {
    // BullMQ's DelayedError (a reminder sent, sleeping until the next) is a normal end, not a failure.
    if (!(error instanceof Error && error.name === 'DelayedError')) spanFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** A run that failed and will be retried (BullMQ sees a delay, not a failure): its span, if any, says it failed. */
export function timerRunFailed(error: unknown): void {
  const span = trace.getActiveSpan();
  if (span !== undefined) spanFailed(span, error);
}
