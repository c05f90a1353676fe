import { randomUUID } from 'node:crypto';

import { eventTypes } from '../../consumers/routes';
import { KafkaOffsets } from '../../src/kafka/offsets';
import { PrometheusMetrics } from '../../src/metrics/prometheus';
import { fraudDetected, newIds, paymentOverdue, resumeRequested, suspendRequested } from '../support/events';
import { createTopics, deleteTopics, testKafka } from '../support/kafka.helper';
import { uniqueName } from '../support/unique-name';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The Prometheus text format, enough of it for assertions: one sample a line, `name{label="value",...} number`. */
function parseExposition(text: string): Series[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name = '', value = ''] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
      return { name: match[1] ?? '', labels, value: Number(match[3]) };
    });
}

interface Scrape {
  readonly text: string;
  /** The sum of every sample of `name` whose labels include `labels`; 0 when there is none. */
  sum(name: string, labels?: Record<string, string>): number;
  series(name: string, labels?: Record<string, string>): Series[];
}

async function scrape(h: Harness): Promise<Scrape> {
  const response = await fetch(`${h.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const all = parseExposition(text);
  const series = (name: string, labels: Record<string, string> = {}) =>
    all.filter((entry) => entry.name === name && Object.entries(labels).every(([key, value]) => entry.labels[key] === value));
  return { text, series, sum: (name, labels) => series(name, labels).reduce((total, entry) => total + entry.value, 0) };
}

describe('GET /metrics (events, jobs, lag)', () => {
  let h: Harness;
  const metrics = new PrometheusMetrics({ eventTypes });

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'PT1H', DELETION_REMINDERS: 'PT30M' }, undefined, metrics);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('is open, in the Prometheus text format, with the process metrics', async () => {
    const response = await fetch(`${h.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE billing_enforcer_events_consumed_total counter');
    expect(text).toContain('# TYPE billing_enforcer_event_latency_seconds histogram');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('counts consumed events by topic, type and outcome, including bad input', async () => {
    const before = await scrape(h);
    const ids = newIds('metrics');
    const suspend = suspendRequested(ids, { occurredAt: '2026-03-01T10:00:00Z' });
    // Older than the suspension it would lift: stale.
    const lateResume = resumeRequested(ids, { occurredAt: '2026-03-01T09:00:00Z' });
    const unknownType = JSON.stringify({ ...(JSON.parse(paymentOverdue(ids, 'inv-1').value) as object), type: 'payment.refunded' });
    await h.produce(h.topics.customer, [suspend, suspend, lateResume]);
    await h.produce(h.topics.fraud, [fraudDetected(ids, 'case-low', 0.1)]);
    await h.produce(h.topics.payments, [
      { key: ids.subscriptionId, value: '{"not json' },
      { key: ids.subscriptionId, value: unknownType },
    ]);

    const expected: [topic: string, type: string, outcome: string][] = [
      [h.topics.customer, 'customer.suspend-requested', 'applied'],
      [h.topics.customer, 'customer.suspend-requested', 'duplicate'],
      [h.topics.customer, 'customer.resume-requested', 'stale'],
      [h.topics.fraud, 'fraud.detected', 'ignored'],
      [h.topics.payments, 'unknown', 'dead-lettered'],
      // A type the worker does not know is not a label value of its own: bad input cannot add series without bound.
      [h.topics.payments, 'other', 'dead-lettered'],
    ];
    const increase = (after: Scrape, [topic, type, outcome]: [string, string, string]) =>
      after.sum('billing_enforcer_events_consumed_total', { topic, type, outcome }) -
      before.sum('billing_enforcer_events_consumed_total', { topic, type, outcome });
    const after = await eventually(async () => {
      const now = await scrape(h);
      expect(expected.map((key) => increase(now, key))).toEqual(expected.map(() => 1));
      return now;
    });
    expect(after.series('billing_enforcer_events_consumed_total', { type: 'payment.refunded' })).toEqual([]);
    const observed = (scrape: Scrape, topic: string) => scrape.sum('billing_enforcer_event_latency_seconds_count', { topic });
    expect(observed(after, h.topics.customer) - observed(before, h.topics.customer)).toBe(3);
    expect(observed(after, h.topics.payments) - observed(before, h.topics.payments)).toBe(2);
  });

  it('shows BullMQ job counts by queue and state, a scheduled deletion among the delayed', async () => {
    const queue = h.app.queue.name;
    const before = (await scrape(h)).sum('billing_enforcer_queue_jobs', { queue, state: 'delayed' });
    await h.produce(h.topics.customer, [suspendRequested(newIds('jobs'))]);
    // One timer job per suspended subscription, its reminders included.
    await eventually(async () =>
      expect((await scrape(h)).sum('billing_enforcer_queue_jobs', { queue, state: 'delayed' })).toBe(before + 1),
    );
    const { delayed } = await h.app.queue.getJobCounts('delayed');
    const after = await scrape(h);
    expect(after.sum('billing_enforcer_queue_jobs', { queue, state: 'delayed' })).toBe(delayed);
    expect(after.series('billing_enforcer_queue_jobs', { queue }).map((entry) => entry.labels.state)).toEqual(
      expect.arrayContaining(['active', 'delayed', 'failed', 'waiting']),
    );
  });

  it('has a consumer-lag series for every partition of every inbound topic, down to zero once consumed', async () => {
    const inbound = [h.topics.payments, h.topics.fraud, h.topics.customer];
    await eventually(async () => {
      const lag = (await scrape(h)).series('billing_enforcer_consumer_lag');
      expect(lag.map((entry) => `${entry.labels.topic}/${entry.labels.partition}`).sort()).toEqual(
        inbound.flatMap((topic) => [0, 1, 2].map((partition) => `${topic}/${partition}`)).sort(),
      );
      expect(lag.map((entry) => entry.value)).toEqual(lag.map(() => 0));
    });
  });

  it('counts the reconciliation drift a reconciler reports, by kind', async () => {
    const before = await scrape(h);
    expect(before.text).toContain('# TYPE billing_enforcer_reconciliation_drift_total counter');
    metrics.reconciliationDrift('missing', 2);
    metrics.reconciliationDrift('missing', 1);
    metrics.reconciliationDrift('orphan', 4);
    const after = await scrape(h);
    const increase = (kind: string) =>
      after.sum('billing_enforcer_reconciliation_drift_total', { kind }) -
      before.sum('billing_enforcer_reconciliation_drift_total', { kind });
    expect([increase('missing'), increase('orphan')]).toEqual([3, 4]);
  });
});

describe('consumer lag arithmetic (KafkaOffsets)', () => {
  it('counts from the start for a group that never committed, and from the commit once it has', async () => {
    const kafka = testKafka();
    const topic = uniqueName('lag');
    const groupId = uniqueName('lag-group');
    await createTopics(kafka, [topic], 1);
    const producer = kafka.producer();
    const admin = kafka.admin();
    const offsets = new KafkaOffsets(kafka);
    try {
      await producer.connect();
      await producer.send({ topic, messages: [1, 2, 3, 4, 5].map((n) => ({ key: randomUUID(), value: String(n) })) });
      expect(await offsets.consumerLag(groupId, [topic])).toEqual([{ topic, partition: 0, lag: 5 }]);
      expect(await offsets.messagesIn(topic)).toBe(5);
      await admin.connect();
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
      expect(await offsets.consumerLag(groupId, [topic])).toEqual([{ topic, partition: 0, lag: 3 }]);
    } finally {
      await offsets.close();
      await producer.disconnect();
      await admin.disconnect();
      await deleteTopics(kafka, [topic]);
    }
  });
});

describe('GET /metrics (timer jobs)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'PT3S', DELETION_REMINDERS: 'PT2S', DATA_COLLECTIONS: 'documents' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('counts deletions executed, documents deleted by collection, and reminders sent', async () => {
    const ids = newIds('deleted');
    await h.app.connection
      .collection('documents')
      .insertMany([1, 2].map(() => ({ _id: randomUUID() as never, subscriptionId: ids.subscriptionId, tenantId: ids.tenantId })));
    const before = await scrape(h);
    expect(before.sum('billing_enforcer_deletions_executed_total')).toBe(0);
    expect(before.sum('billing_enforcer_reminders_sent_total')).toBe(0);

    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.status).toBe('deleted'));
    // The job counts just after it writes the tombstone, so the counters may trail the status by a moment.
    await eventually(async () => {
      const after = await scrape(h);
      expect(after.sum('billing_enforcer_deletions_executed_total')).toBe(1);
      expect(after.sum('billing_enforcer_documents_deleted_total', { collection: 'documents' })).toBe(2);
      expect(after.sum('billing_enforcer_reminders_sent_total')).toBe(1);
    });
  });
});
