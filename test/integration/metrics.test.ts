import { randomUUID } from 'node:crypto';

import { eventTypes } from '../../consumers/routes';
import { KafkaOffsets } from '../../src/kafka/offsets';
import { PrometheusMetrics } from '../../src/metrics/prometheus';
import { fraudDetected, newIds, paymentOverdue, resumeRequested, suspendRequested } from '../support/events';
import { createTopics, deleteTopics, testKafka } from '../support/kafka.helper';
import { uniqueName } from '../support/unique-name';
import { scrape, type Scrape } from '../support/metrics-scrape';
import { ACCESS_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

describe('GET /metrics (events, jobs, lag)', () => {
  let h: Harness;
  // No caching of the MongoDB readings, so each scrape shows the store as it is.
  const metrics = new PrometheusMetrics({ eventTypes, slowCacheMs: 0 });

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
    // Another request to add the hold, dated before the one applied: stale (only adds are judged by occurredAt; a lift
    // received live never is, architecture.md "Ordering within a hold entry").
    const lateSuspend = suspendRequested(ids, { occurredAt: '2026-03-01T09:00:00Z' });
    const unknownType = JSON.stringify({ ...(JSON.parse(paymentOverdue(ids, 'inv-1').value) as object), type: 'payment.refunded' });
    await h.produce(h.topics.customer, [suspend, suspend, lateSuspend]);
    await h.produce(h.topics.fraud, [fraudDetected(ids, 'case-low', 0.1)]);
    await h.produce(h.topics.payments, [
      { key: ids.subscriptionId, value: '{"not json' },
      { key: ids.subscriptionId, value: unknownType },
    ]);

    const expected: [topic: string, type: string, outcome: string][] = [
      [h.topics.customer, 'customer.suspend-requested', 'applied'],
      [h.topics.customer, 'customer.suspend-requested', 'duplicate'],
      [h.topics.customer, 'customer.suspend-requested', 'stale'],
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

  it('reads the outbox backlog, pending dead letters and subscriptions by status from the store', async () => {
    await h.produce(h.topics.payments, [{ key: 'x', value: 'not json' }]);
    await eventually(async () => expect(await h.app.deadLetterStore.count({ status: 'pending' })).toBeGreaterThan(0));
    // The indexer may store another letter between a scrape and a count: compare until both agree.
    const after = await eventually(async () => {
      const scraped = await scrape(h);
      expect(scraped.sum('billing_enforcer_dead_letters_pending')).toBe(await h.app.deadLetterStore.count({ status: 'pending' }));
      expect(scraped.sum('billing_enforcer_outbox_backlog')).toBe(await h.app.commits.pendingCount());
      return scraped;
    });
    const statuses = await h.app.subscriptions.countByStatus();
    expect(after.series('billing_enforcer_subscriptions').map((entry) => [entry.labels.status, entry.value])).toEqual(
      expect.arrayContaining(Object.entries(statuses)),
    );
    expect(statuses.suspended).toBeGreaterThan(0);
  });

  it('has a committed-offset series for every partition of every inbound topic, and build_info', async () => {
    const after = await scrape(h);
    expect(after.series('billing_enforcer_consumer_committed_offset')).toHaveLength(9);
    expect(after.series('billing_enforcer_build_info')).toEqual([
      { name: 'billing_enforcer_build_info', labels: { version: '0.1.0', node_version: process.version }, value: 1 },
    ]);
  });

  it('times the access API by route and status class', async () => {
    const before = await scrape(h);
    const ids = newIds('access');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect(await h.app.subscriptions.get(ids.subscriptionId)).not.toBeNull());
    const headers = { authorization: `Bearer ${ACCESS_TOKEN}` };
    expect((await fetch(`${h.baseUrl}/v1/subscriptions/${ids.subscriptionId}/access?role=user`, { headers })).status).toBe(200);
    expect((await fetch(`${h.baseUrl}/v1/subscriptions/no-such-sub/access?role=owner`, { headers })).status).toBe(400);
    expect((await fetch(`${h.baseUrl}/v1/subscriptions/${ids.subscriptionId}`, { headers })).status).toBe(200);
    const after = await scrape(h);
    const count = (scrape: Scrape, route: string, code: string) =>
      scrape.sum('billing_enforcer_access_request_duration_seconds_count', { route, code });
    expect([count(after, 'access', '2xx'), count(after, 'access', '4xx'), count(after, 'subscription', '2xx')]).toEqual([
      count(before, 'access', '2xx') + 1,
      count(before, 'access', '4xx') + 1,
      count(before, 'subscription', '2xx') + 1,
    ]);
  });

  it('counts identity mismatches, and timer jobs that failed for good', async () => {
    const before = await scrape(h);
    const ids = newIds('identity');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect(await h.app.subscriptions.get(ids.subscriptionId)).not.toBeNull());
    // The same subscription, claimed by another customer: dead-lettered, never applied.
    await h.produce(h.topics.customer, [resumeRequested({ ...ids, customerId: 'someone-else' })]);
    // A job no processor knows fails for good at once.
    await h.app.queue.add('no-such-job', {}, { jobId: `bad-${randomUUID()}` });
    await eventually(async () => {
      const after = await scrape(h);
      expect(after.sum('billing_enforcer_identity_mismatches_total') - before.sum('billing_enforcer_identity_mismatches_total')).toBe(1);
      expect(after.sum('billing_enforcer_timer_job_failures_total', { job: 'no-such-job', final: 'true' })).toBe(1);
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
      expect(await offsets.consumerLag(groupId, [topic])).toEqual([{ topic, partition: 0, lag: 5, committed: 0 }]);
      expect(await offsets.messagesIn(topic)).toBe(5);
      await admin.connect();
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
      expect(await offsets.consumerLag(groupId, [topic])).toEqual([{ topic, partition: 0, lag: 3, committed: 2 }]);
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
