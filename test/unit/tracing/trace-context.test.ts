import { SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { AppError } from '../../../src/errors';
import { deadLetterRecord } from '../../../src/kafka/dead-letters';
import type { InboundMessage } from '../../../src/kafka/inbound-message';
import { createLogger } from '../../../src/logging/logger';
import { inSliceSpans, messageOutcome, startSliceSpans } from '../../../src/tracing/slice-spans';
import { formatTraceparent, headerText, parseTraceparent, remoteParent } from '../../../src/tracing/trace-context';
import { startTracing, tracingFor } from '../../../src/tracing/tracing';
import { loadSettings } from '../../../src/config/config';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${SPAN}-01`;

describe('traceparent parsing', () => {
  it('takes a valid version-00 traceparent as a remote, sampled parent', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.traceFlags).toBe(TraceFlags.NONE);
  });

  it('keeps only the sampled flag of the flags byte', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-ff`)?.traceFlags).toBe(TraceFlags.SAMPLED);
  });

  it('reads the known fields of a future version and ignores what follows them', () => {
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`)?.traceId).toBe(TRACE);
  });

  it.each([
    ['empty', ''],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with more fields', `${VALID}-extra`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['spaces', ` ${VALID}`],
    ['another separator', VALID.replaceAll('-', '_')],
    ['oversized', `cc-${TRACE}-${SPAN}-01-${'a'.repeat(600)}`],
    ['a newline', `${VALID}\n`],
  ])('ignores a malformed one (%s): no parent, never a throw', (_case, text) => {
    expect(parseTraceparent(text)).toBeNull();
  });

  it('keeps a tracestate that parses, drops one that is oversized or empty of valid entries', () => {
    expect(parseTraceparent(VALID, 'vendor=abc,other=x')?.traceState?.serialize()).toBe('vendor=abc,other=x');
    expect(parseTraceparent(VALID, `vendor=${'a'.repeat(600)}`)?.traceState).toBeUndefined();
    expect(parseTraceparent(VALID, '=,,=')?.traceState).toBeUndefined();
  });

  it('formats a span context back as a version-00 traceparent', () => {
    const parsed = parseTraceparent(VALID);
    expect(parsed && formatTraceparent(parsed)).toBe(VALID);
  });
});

describe('traceparent headers from Kafka', () => {
  it('reads a single string or UTF-8 buffer value', () => {
    expect(remoteParent({ traceparent: Buffer.from(VALID) })?.spanId).toBe(SPAN);
    expect(remoteParent({ traceparent: VALID })?.spanId).toBe(SPAN);
  });

  it('refuses a repeated header, an oversized one and bytes that are not UTF-8', () => {
    expect(remoteParent({ traceparent: [VALID, VALID] })).toBeNull();
    expect(headerText({ traceparent: Buffer.alloc(100_000, 0x61) }, 'traceparent')).toBeUndefined();
    expect(remoteParent({ traceparent: Buffer.concat([Buffer.from(VALID.slice(0, 54)), Buffer.from([0xff])]) })).toBeNull();
    expect(remoteParent({})).toBeNull();
  });

  it('takes a header written with a null value (Java Headers.add(key, null)) as absent, never as a crash', () => {
    expect(remoteParent({ traceparent: null })).toBeNull();
    expect(remoteParent({ traceparent: VALID, tracestate: null })?.spanId).toBe(SPAN);
    expect(headerText({ traceparent: null }, 'traceparent')).toBeUndefined();
  });
});

describe('message spans', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing('billing-enforcer-test', new SimpleSpanProcessor(exporter));
  const tracer = tracing.tracer;
  if (tracer === null) throw new Error('tracing should be on');

  beforeEach(() => exporter.reset());
  afterAll(async () => await tracing.shutdown());

  it('parents a message span on a valid traceparent, roots one with a malformed traceparent, and links both from the slice', async () => {
    const spans = startSliceSpans(tracer, 'payments', 2, [
      { offset: '7', headers: { traceparent: VALID } },
      { offset: '8', headers: { traceparent: 'garbage' } },
    ]);
    await inSliceSpans(spans, async () => {
      await Promise.resolve();
    });
    const finished = exporter.getFinishedSpans();
    const [good, bad] = spans.messages;
    const goodSpan = finished.find((span) => span.spanContext().spanId === good?.span.spanContext().spanId);
    const badSpan = finished.find((span) => span.spanContext().spanId === bad?.span.spanContext().spanId);
    const slice = finished.find((span) => span.name === 'slice payments');
    expect(goodSpan?.spanContext().traceId).toBe(TRACE);
    expect(goodSpan?.parentSpanContext?.spanId).toBe(SPAN);
    expect(good?.traceparent).toBe(`00-${TRACE}-${good?.span.spanContext().spanId}-01`);
    expect(badSpan?.spanContext().traceId).not.toBe(TRACE);
    expect(badSpan?.parentSpanContext).toBeUndefined();
    expect(badSpan?.attributes['billing.traceparent.invalid']).toBe(true);
    expect(slice?.links.map((link) => link.context.spanId)).toEqual([good?.span.spanContext().spanId, bad?.span.spanContext().spanId]);
  });

  it('puts the active span on log lines, and nothing outside one', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const spans = startSliceSpans(tracer, 'payments', 0, [{ offset: '1', headers: {} }]);
    await inSliceSpans(spans, async () => {
      await Promise.resolve();
      logger.info('inside');
    });
    logger.info('outside');
    expect(lines[0]).toMatchObject({ trace_id: spans.slice.spanContext().traceId, span_id: spans.slice.spanContext().spanId });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('writes the message span as the dead letter traceparent, replacing the producer one', async () => {
    const spans = startSliceSpans(tracer, 'payments', 0, [{ offset: '1', headers: { traceparent: VALID, tracestate: 'v=1' } }]);
    const [trace] = spans.messages;
    const message: InboundMessage = {
      topic: 'payments',
      partition: 0,
      offset: '1',
      timestamp: '0',
      key: null,
      value: Buffer.from('{'),
      headers: { traceparent: VALID, Traceparent: 'forged', tracestate: 'v=1' },
      ...(trace === undefined ? {} : { trace }),
    };
    messageOutcome(trace, 'dead-lettered', 'INVALID_JSON');
    await inSliceSpans(spans, () => Promise.resolve());
    const record = deadLetterRecord({ message, error: new AppError('INVALID_JSON', 'bad') }, '2026-01-01T00:00:00.000Z', 1_048_576);
    expect(record.headers.traceparent).toBe(trace?.traceparent);
    expect(record.headers.traceparent).not.toBe(VALID);
    expect(record.headers).not.toHaveProperty('Traceparent');
    expect(record.headers.tracestate).toBe('v=1');
    const span = exporter.getFinishedSpans().find((item) => item.name === 'process payments');
    expect(span?.attributes['billing.outcome']).toBe('dead-lettered');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('tracing from the configuration', () => {
  it('is off, with no tracer at all, when no OTLP endpoint is set', async () => {
    const tracing = tracingFor(loadSettings(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME'], {}));
    expect(tracing.tracer).toBeNull();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });

  it('exports over OTLP/HTTP when an endpoint is set, and shuts down cleanly with nothing to send', async () => {
    const tracing = tracingFor(
      loadSettings(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }),
    );
    expect(tracing.tracer).not.toBeNull();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });

  it('refuses an endpoint that is not an http(s) URL, and defaults the service name', () => {
    expect(() => loadSettings(['OTEL_EXPORTER_OTLP_ENDPOINT'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(loadSettings(['OTEL_SERVICE_NAME'], {}).OTEL_SERVICE_NAME).toBe('billing-enforcer');
  });
});
