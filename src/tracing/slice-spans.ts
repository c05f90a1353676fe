import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';

import { formatTraceparent, remoteParent, TRACEPARENT } from './trace-context';

/** A message's span while its slice is handled, and its context in the form carried onwards (headers, timer jobs). */
export interface MessageTrace {
  readonly span: Span;
  readonly traceparent: string;
  readonly tracestate: string | undefined;
}

/**
 * The spans of one slice. Each message gets its own span, a child of its inbound `traceparent` when that is valid
 * (a new root otherwise), so each producer's trace shows its event. A slice is decided and committed as one (one bulk
 * write, one produce), so the message spans all start before decoding and end after the slice's commit and dead
 * letters; the work itself runs under one slice span, a root that links to every message span. Log lines written
 * meanwhile carry the slice span's ids; the slice span's links lead to each message's trace. Where slices of several
 * partitions share one call (src/kafka/slice-handler.ts), it runs under the first slice's span; the others' spans
 * cover their wait and end when it does.
 */
export interface SliceSpans {
  readonly slice: Span;
  readonly messages: readonly MessageTrace[];
}

interface Consumed {
  readonly offset: string;
  readonly headers?: Readonly<Record<string, Buffer | string | null | (Buffer | string | null)[] | undefined>> | undefined;
}

const KAFKA = { 'messaging.system': 'kafka', 'messaging.operation.type': 'process' } as const;

function messageSpan(tracer: Tracer, topic: string, partition: number, message: Consumed): MessageTrace {
  const headers = message.headers ?? {};
  const parent = remoteParent(headers);
  const span = tracer.startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...KAFKA,
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(message.offset),
        // A producer's traceparent we could not use: said on the span, never an error for the message.
        ...(parent === null && headers[TRACEPARENT] !== undefined ? { 'billing.traceparent.invalid': true } : {}),
      },
    },
    parent === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent),
  );
  const spanContext = span.spanContext();
  return { span, traceparent: formatTraceparent(spanContext), tracestate: spanContext.traceState?.serialize() };
}

export function startSliceSpans(tracer: Tracer, topic: string, partition: number, messages: readonly Consumed[]): SliceSpans {
  const traces = messages.map((message) => messageSpan(tracer, topic, partition, message));
  const slice = tracer.startSpan(
    `slice ${topic}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        ...KAFKA,
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.batch.message_count': messages.length,
      },
      links: traces.map((item) => ({ context: item.span.spanContext() })),
    },
    ROOT_CONTEXT,
  );
  return { slice, messages: traces };
}

/** Runs the slice's work with its span active (log lines, lifecycle headers), then ends every span of the slice. */
export async function inSliceSpans<T>(spans: SliceSpans | null, work: () => Promise<T>): Promise<T> {
  if (spans === null) return await work();
  try {
    return await context.with(trace.setSpan(ROOT_CONTEXT, spans.slice), work);
  } finally {
    for (const item of spans.messages) item.span.end();
    spans.slice.end();
  }
}

/** Marks a span failed with the error (its message cut: it may quote input). */
export function spanFailed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message.slice(0, 200) : 'failed' });
}

/** The slice failed (it is retried later, as new spans): every span of the attempt says so. */
export function sliceFailed(spans: SliceSpans | null, error: unknown): void {
  if (spans === null) return;
  spanFailed(spans.slice, error);
  for (const item of spans.messages) spanFailed(item.span, error);
}

/** What became of one message: the decision's outcome, or `dead-lettered` with the refusal's code. */
export function messageOutcome(message: MessageTrace | undefined, outcome: string, code?: string): void {
  if (message === undefined) return;
  message.span.setAttribute('billing.outcome', outcome);
  if (code !== undefined) message.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}
