import { deletionJobId } from '../../src/queue/timer-jobs';
import {
  cancelRequested,
  fraudCleared,
  fraudDetected,
  newIds,
  paymentOverdue,
  paymentSettled,
  resumeRequested,
  suspendRequested,
  type Ids,
} from '../support/events';
import { ADMIN_TOKEN, ACCESS_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

/** End to end on the real stack: Kafka in, MongoDB state, BullMQ timers, lifecycle events out. Deletion timers are far off here. */
describe('enforcement (Kafka → MongoDB → BullMQ)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'PT1H', DELETION_REMINDERS: 'PT30M,PT1M' });
  });
  afterAll(async () => {
    await h.stop();
  });

  const state = async (ids: Ids) => (await h.app.subscriptions.get(ids.subscriptionId))?.state ?? null;
  const statusOf = async (ids: Ids) => (await state(ids))?.status;
  const jobState = async (id: string) => (await h.app.queue.getJob(id))?.getState() ?? 'absent';
  const lifecycleTypes = (ids: Ids) => h.lifecycle.filter((m) => m.key === ids.subscriptionId).map((m) => m.json().type as string);
  const api = async (path: string, token = ADMIN_TOKEN) => {
    const response = await fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it.each([
    ['nonpayment', (ids: Ids) => ({ topic: () => h.topics.payments, event: paymentOverdue(ids, 'inv-1') })],
    ['fraud', (ids: Ids) => ({ topic: () => h.topics.fraud, event: fraudDetected(ids, 'case-1', 0.95) })],
    ['customer_request', (ids: Ids) => ({ topic: () => h.topics.customer, event: suspendRequested(ids) })],
  ])('suspends for %s: users refused, admins admitted, deletion timer and reminders scheduled', async (reason, make) => {
    const ids = newIds(reason.replace('_', '-'));
    const { topic, event } = make(ids);
    await h.produce(topic(), [event]);

    await eventually(async () => expect(await statusOf(ids)).toBe('suspended'));
    const current = await state(ids);
    expect(current?.holds.map((hold) => hold.reason)).toEqual([reason]);
    // One job per timer: it first wakes for the earliest reminder, then for the next, then for the deletion. Timers
    // are effects, carried out just after the state is written.
    await eventually(async () => expect(await jobState(deletionJobId(ids.subscriptionId, 1))).toBe('delayed'));
    const job = await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1));
    const firstWake = (current?.deletion?.dueAt ?? 0) - 30 * 60_000;
    expect(Math.abs((job?.timestamp ?? 0) + (job?.delay ?? 0) - firstWake)).toBeLessThan(1_000);
    expect(job?.data).toEqual({});
    const jobIds = await h.app.queue.getRanges(['delayed', 'wait', 'active'], 0, -1);
    expect(jobIds.filter((id) => id.endsWith(`.${ids.subscriptionId}`))).toEqual([deletionJobId(ids.subscriptionId, 1)]);

    const user = await api(`/v1/subscriptions/${ids.subscriptionId}/access?role=user`, ACCESS_TOKEN);
    const admin = await api(`/v1/subscriptions/${ids.subscriptionId}/access?role=admin`, ACCESS_TOKEN);
    expect(user.body).toMatchObject({ allowed: false, known: true, accessLevel: 'admins-only', status: 'suspended' });
    expect(admin.body).toMatchObject({ allowed: true, accessLevel: 'admins-only' });

    await eventually(() =>
      expect(lifecycleTypes(ids)).toEqual(['subscription.hold-added', 'subscription.suspended', 'subscription.deletion-scheduled']),
    );
    const suspended = h.lifecycle.find((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.suspended')?.json();
    expect(suspended).toMatchObject({
      subscriptionId: ids.subscriptionId,
      data: { status: 'suspended', accessLevel: 'admins-only', causationId: event.eventId },
    });
  });

  it('stacks holds: a settled invoice does not lift a fraud hold; clearing the last one reactivates and cancels the timers', async () => {
    const ids = newIds('stack');
    await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-1'), paymentOverdue(ids, 'inv-2')]);
    await h.produce(h.topics.fraud, [fraudDetected(ids, 'case-9', 0.9)]);
    await eventually(async () => expect((await state(ids))?.holds.map((hold) => hold.reason).sort()).toEqual(['fraud', 'nonpayment']));
    const dueAt = (await state(ids))?.deletion?.dueAt;

    await h.produce(h.topics.payments, [paymentSettled(ids, 'inv-1'), paymentSettled(ids, 'inv-2')]);
    await eventually(async () => expect((await state(ids))?.holds.map((hold) => hold.reason)).toEqual(['fraud']));
    expect(await statusOf(ids)).toBe('suspended');
    expect((await state(ids))?.deletion?.dueAt).toBe(dueAt);

    await h.produce(h.topics.fraud, [fraudCleared(ids, 'case-9')]);
    await eventually(async () => expect(await statusOf(ids)).toBe('active'));
    await eventually(async () => expect(await jobState(deletionJobId(ids.subscriptionId, 1))).toBe('absent'));
    await eventually(() => expect(lifecycleTypes(ids)).toContain('subscription.deletion-cancelled'));
    expect(lifecycleTypes(ids)).toContain('subscription.reactivated');
    const user = await api(`/v1/subscriptions/${ids.subscriptionId}/access?role=user`);
    expect(user.body).toMatchObject({ allowed: true, accessLevel: 'full', status: 'active' });
  });

  it('a new suspension after reactivation starts a new timer generation', async () => {
    const ids = newIds('again');
    await h.produce(h.topics.customer, [suspendRequested(ids), resumeRequested(ids)]);
    await eventually(async () => expect((await state(ids))?.timerGeneration).toBe(1));
    await eventually(async () => expect(await statusOf(ids)).toBe('active'));
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect(await jobState(deletionJobId(ids.subscriptionId, 2))).toBe('delayed'));
    expect(await jobState(deletionJobId(ids.subscriptionId, 1))).toBe('absent');
  });

  it('cancellation is final: lifting every hold afterwards does not reactivate', async () => {
    const ids = newIds('cancel');
    await h.produce(h.topics.customer, [suspendRequested(ids), cancelRequested(ids), resumeRequested(ids)]);
    await eventually(async () => expect((await state(ids))?.holds).toEqual([]));
    expect(await statusOf(ids)).toBe('cancelled');
    expect(await jobState(deletionJobId(ids.subscriptionId, 1))).toBe('delayed');
    const admin = await api(`/v1/subscriptions/${ids.subscriptionId}/access?role=admin`);
    expect(admin.body).toMatchObject({ allowed: true, status: 'cancelled' });
  });

  it('a fraud signal below the threshold is audited and changes nothing: not even a subscription is created', async () => {
    const ids = newIds('lowfraud');
    const event = fraudDetected(ids, 'case-low', 0.5);
    await h.produce(h.topics.fraud, [event]);
    await eventually(async () => expect(await h.app.audit.byEventId(event.eventId)).toHaveLength(1));
    expect((await h.app.audit.byEventId(event.eventId))[0]).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining('below-fraud-threshold') as unknown,
    });
    expect(await h.app.subscriptions.get(ids.subscriptionId)).toBeNull();
  });

  it('duplicates and stale events change nothing, and each decision is audited', async () => {
    const ids = newIds('dup');
    const overdue = paymentOverdue(ids, 'inv-1', { occurredAt: '2026-01-01T10:00:00Z' });
    const settled = paymentSettled(ids, 'inv-1', { occurredAt: '2026-01-02T10:00:00Z' });
    // A late, older overdue notice for the same invoice arrives after it was settled.
    const lateOverdue = paymentOverdue(ids, 'inv-1', { occurredAt: '2026-01-01T09:00:00Z' });
    await h.produce(h.topics.payments, [overdue, overdue, settled, lateOverdue, settled]);

    await eventually(async () => expect(await h.app.audit.byEventId(lateOverdue.eventId)).toHaveLength(1));
    await eventually(async () => expect((await h.app.audit.byEventId(settled.eventId)).length).toBe(2));
    expect(await statusOf(ids)).toBe('active');
    const outcomes = async (eventId: string) => (await h.app.audit.byEventId(eventId)).map((record) => record.outcome).sort();
    expect(await outcomes(overdue.eventId)).toEqual(['applied', 'duplicate']);
    expect(await outcomes(settled.eventId)).toEqual(['applied', 'duplicate']);
    expect(await outcomes(lateOverdue.eventId)).toEqual(['stale']);
    // Suspended once, reactivated once: the duplicate and the stale event published nothing.
    await eventually(() => expect(lifecycleTypes(ids).filter((type) => type === 'subscription.reactivated')).toHaveLength(1));
    expect(lifecycleTypes(ids).filter((type) => type === 'subscription.suspended')).toHaveLength(1);
  });

  it('dead-letters bad input with the reason and source, while good events around it are applied', async () => {
    const ids = newIds('dlq');
    const good1 = paymentOverdue(ids, 'inv-1');
    const good2 = paymentSettled(ids, 'inv-1');
    const wrongData = JSON.stringify({
      ...(JSON.parse(good1.value) as object),
      eventId: 'bad-data',
      data: { invoiceId: 7, currency: 'euro' },
    });
    const unknownType = JSON.stringify({ ...(JSON.parse(good1.value) as object), eventId: 'bad-type', type: 'payment.refunded' });
    await h.produce(h.topics.payments, [
      good1,
      { key: ids.subscriptionId, value: '{"not json' },
      { key: ids.subscriptionId, value: wrongData },
      { key: ids.subscriptionId, value: unknownType },
      { key: null, value: paymentOverdue(ids, 'inv-2').value },
      good2,
    ]);

    await eventually(() => expect(h.deadLetters.filter((m) => m.key === ids.subscriptionId || m.key === null)).toHaveLength(4));
    const letters = h.deadLetters.filter((m) => m.key === ids.subscriptionId || m.key === null);
    // The keyless message lands on whichever partition the producer picked, so compare as a set.
    expect(letters.map((m) => m.headers['dlq.error.code']).sort()).toEqual([
      'INVALID_JSON',
      'MISSING_KEY',
      'SCHEMA_VIOLATION',
      'UNKNOWN_EVENT_TYPE',
    ]);
    const schemaLetter = letters.find((m) => m.headers['dlq.error.code'] === 'SCHEMA_VIOLATION');
    expect(schemaLetter?.headers['dlq.error.reason']).toMatch(/data\.invoiceId: .*; data\.amountDue/);
    expect(schemaLetter?.value).toBe(wrongData);
    for (const letter of letters) {
      expect(letter.headers['dlq.source.topic']).toBe(h.topics.payments);
      expect(letter.headers['dlq.source.partition']).toMatch(/^\d+$/);
      expect(letter.headers['dlq.source.offset']).toMatch(/^\d+$/);
    }
    await eventually(async () => expect(await h.app.audit.byEventId(good2.eventId)).toHaveLength(1));
    expect(await statusOf(ids)).toBe('active');
    expect((await h.app.audit.byEventId(good1.eventId))[0]?.outcome).toBe('applied');
  });

  it('allows a never-stored subscription (known: false), 404s its state, 400 for a bad role, 401/403 without a valid token', async () => {
    expect((await api('/v1/subscriptions/never-seen')).status).toBe(404);
    // Never changed by any event, so never held: every role may use it, and the answer says it is not stored.
    for (const role of ['user', 'admin']) {
      const access = await api(`/v1/subscriptions/never-seen/access?role=${role}`);
      expect(access.status).toBe(200);
      expect(access.body).toEqual({
        subscriptionId: 'never-seen',
        role,
        allowed: true,
        known: false,
        accessLevel: 'full',
        status: 'active',
      });
    }
    const ids = newIds('http');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect(await statusOf(ids)).toBe('suspended'));
    const bad = await api(`/v1/subscriptions/${ids.subscriptionId}/access?role=owner`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/role/);
    expect((await fetch(`${h.baseUrl}/v1/subscriptions/${ids.subscriptionId}`)).status).toBe(401);
    expect((await api(`/v1/subscriptions/${ids.subscriptionId}`, 'not-the-token')).status).toBe(403);
    const view = await api(`/v1/subscriptions/${ids.subscriptionId}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      subscriptionId: ids.subscriptionId,
      customerId: ids.customerId,
      tenantId: ids.tenantId,
      status: 'suspended',
      accessLevel: 'admins-only',
      holds: [{ reason: 'customer_request', refs: ['T-1'] }],
      legalHold: null,
    });
    expect((view.body.deletion as { dueAt: string }).dueAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
