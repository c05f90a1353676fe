import { randomBytes } from 'node:crypto';

import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

import { createLogger } from '../../src/logging/logger';
import { noMetrics } from '../../src/metrics/metrics';
import { deletionJobId, scheduledBy } from '../../src/queue/timer-jobs';
import { startTracing } from '../../src/tracing/tracing';
import { newIds, suspendRequested } from '../support/events';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/** One event followed by its trace: inbound traceparent → message span → lifecycle header, timer job, dead letter. */
describe('tracing (W3C traceparent through Kafka, MongoDB and BullMQ)', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  let h: Harness;

  beforeAll(async () => {
    const tracing = startTracing('billing-enforcer', new SimpleSpanProcessor(exporter));
    const logger = createLogger('debug', {}, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    // The deletion is an hour off: the test wakes the timer early, and the run sleeps again (linked all the same).
    h = await startWorker({ DELETION_DELAY: 'PT1H', DELETION_REMINDERS: 'none' }, logger, noMetrics, tracing);
  });
  afterAll(async () => {
    await h.stop();
  });

  const newTrace = () => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') });
  const spans = () => exporter.getFinishedSpans();
  const messageSpanOf = (traceId: string): ReadableSpan => {
    const span = spans().find((item) => item.kind === SpanKind.CONSUMER && item.spanContext().traceId === traceId);
    if (span === undefined) throw new Error(`no message span in trace ${traceId}`);
    return span;
  };

  it('carries the inbound trace to the lifecycle event and the timer job, whose run links back to the message span', async () => {
    const ids = newIds('traced');
    const upstream = newTrace();
    await h.produce(h.topics.customer, [
      { ...suspendRequested(ids), headers: { traceparent: `00-${upstream.traceId}-${upstream.spanId}-01` } },
    ]);

    // The message's span: a child of the producer's span, in the producer's trace, ended after the slice's commit.
    const message = await eventually(() => messageSpanOf(upstream.traceId));
    expect(message.parentSpanContext?.spanId).toBe(upstream.spanId);
    expect(message.attributes['billing.outcome']).toBe('applied');
    const messageParent = `00-${upstream.traceId}-${message.spanContext().spanId}-01`;

    // Its lifecycle events name it as their parent.
    const suspended = await eventually(() => {
      const found = h.lifecycle.find((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.suspended');
      if (found === undefined) throw new Error('no suspended event yet');
      return found;
    });
    expect(suspended.headers.traceparent).toBe(messageParent);

    // The timer job stores it...
    const jobId = deletionJobId(ids.subscriptionId, 1);
    const job = await h.app.queue.getJob(jobId);
    expect(scheduledBy(job?.data)).toBe(messageParent);

    // ...and its run, whenever it comes, is a span of its own trace with a link to the message span.
    await job?.promote();
    const run = await eventually(() => {
      const found = spans().find((span) => span.name === 'timer data-deletion' && span.attributes['billing.job.id'] === jobId);
      if (found === undefined) throw new Error('the timer has not run yet');
      return found;
    });
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.spanContext().traceId).not.toBe(upstream.traceId);
    expect(run.links.map((link) => link.context)).toEqual([
      expect.objectContaining({ traceId: upstream.traceId, spanId: message.spanContext().spanId }),
    ]);
    // The slice ran under a span linking to the message span; its log lines carry that span's trace id.
    const slice = spans().find((span) => span.links.some((link) => link.context.spanId === message.spanContext().spanId));
    expect(slice?.name).toBe(`slice ${h.topics.customer}`);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'slice applied', trace_id: slice?.spanContext().traceId }));
  });

  it('puts the message span in a dead letter, and starts a new trace for a malformed traceparent', async () => {
    const upstream = newTrace();
    const key = newIds('dead').subscriptionId;
    await h.produce(h.topics.payments, [
      { key, value: '{"not json', headers: { traceparent: `00-${upstream.traceId}-${upstream.spanId}-01` } },
      { key, value: '{"not json either', headers: { traceparent: `00-${upstream.traceId.toUpperCase()}-${upstream.spanId}-01` } },
    ]);
    const letters = await eventually(() => {
      const found = h.deadLetters.filter((letter) => letter.key === key);
      if (found.length < 2) throw new Error('dead letters not yet there');
      return found;
    });
    const message = messageSpanOf(upstream.traceId);
    expect(message.attributes['billing.outcome']).toBe('dead-lettered');
    expect(letters[0]?.headers.traceparent).toBe(`00-${upstream.traceId}-${message.spanContext().spanId}-01`);
    // The malformed one was no error of the message's (it was dead-lettered for its JSON only) and forged nothing.
    expect(letters[1]?.headers['dlq.error.code']).toBe(letters[0]?.headers['dlq.error.code']);
    expect(letters[1]?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(letters[1]?.headers.traceparent?.slice(3, 35)).not.toBe(upstream.traceId);
  });
});
