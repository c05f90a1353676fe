import { context, trace } from '@opentelemetry/api';

/**
 * A pino mixin: the active span's trace and span ids on every log line written while it is active (a slice, a timer
 * job). With tracing off no span is ever active, and the line gets nothing. A fresh object each time: pino merges the
 * line's fields into it.
 */
export function traceLogFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
