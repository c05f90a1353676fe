import { randomUUID } from 'node:crypto';

import { applyCommands } from '../../src/use-cases/apply-commands';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, paymentOverdue, paymentSettled, suspendRequested, type Ids } from '../support/events';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

const DELAY_MS = 3_000;

/** Deletion timers that come due within seconds: what is deleted, what is not, and what stops it. */
describe('data deletion when the timer comes due', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'PT3S', DELETION_REMINDERS: 'PT2S', DATA_COLLECTIONS: 'documents,invoices' });
  });
  afterAll(async () => {
    await h.stop();
  });

  const state = async (ids: Ids) => (await h.app.subscriptions.get(ids.subscriptionId))?.state ?? null;
  const collection = (name: string) => h.app.connection.collection(name);
  const count = (name: string, filter: Record<string, string>) => collection(name).countDocuments(filter);
  const seed = async (ids: Ids, docs: number, invoices: number) => {
    const rows = (n: number) =>
      Array.from({ length: n }, () => ({
        _id: randomUUID() as never,
        subscriptionId: ids.subscriptionId,
        tenantId: ids.tenantId,
        customerId: ids.customerId,
      }));
    if (docs > 0) await collection('documents').insertMany(rows(docs));
    if (invoices > 0) await collection('invoices').insertMany(rows(invoices));
  };
  /** The timer jobs Redis holds for a subscription, whatever their state short of done. */
  const timerJobs = async (ids: Ids) =>
    (await h.app.queue.getRanges(['delayed', 'wait', 'active', 'prioritized', 'waiting-children'], 0, -1)).filter((id) =>
      id.endsWith(`.${ids.subscriptionId}`),
    );

  it('deletes only that subscription’s documents, within its tenant, and leaves a tombstone with a receipt', async () => {
    const target = newIds('gone');
    // Same customer, another subscription, not suspended: its data must survive.
    const sibling: Ids = { ...newIds('sibling'), customerId: target.customerId };
    const otherTenant: Ids = { ...target, tenantId: 'tenant-b' }; // same subscription id, another tenant
    await seed(target, 3, 2);
    await seed(sibling, 2, 1);
    await collection('documents').insertOne({
      _id: randomUUID() as never,
      subscriptionId: otherTenant.subscriptionId,
      tenantId: otherTenant.tenantId,
    });

    const overdue = paymentOverdue(target, 'inv-1');
    await h.produce(h.topics.payments, [overdue]);
    await eventually(async () => expect((await state(target))?.status).toBe('deleted'), DELAY_MS + 30_000);

    expect(await count('documents', { subscriptionId: target.subscriptionId, tenantId: target.tenantId })).toBe(0);
    expect(await count('invoices', { subscriptionId: target.subscriptionId, tenantId: target.tenantId })).toBe(0);
    expect(await count('documents', { subscriptionId: sibling.subscriptionId })).toBe(2);
    expect(await count('invoices', { subscriptionId: sibling.subscriptionId })).toBe(1);
    expect(await count('documents', { subscriptionId: target.subscriptionId, tenantId: 'tenant-b' })).toBe(1);

    const tombstone = await state(target);
    expect(tombstone?.receipt?.collections).toEqual([
      { collection: 'documents', deleted: 3 },
      { collection: 'invoices', deleted: 2 },
    ]);
    expect(tombstone?.holds).toEqual([]);
    expect(tombstone?.recentEvents).toEqual([]);
    await eventually(() => {
      const deleted = h.lifecycle.find((m) => m.key === target.subscriptionId && m.json().type === 'subscription.data-deleted');
      expect(deleted?.json()).toMatchObject({
        data: {
          status: 'deleted',
          accessLevel: 'none',
          deleted: [
            { collection: 'documents', deleted: 3 },
            { collection: 'invoices', deleted: 2 },
          ],
        },
      });
    });
    // The timer's one job woke first for the reminder, then slept until the deletion.
    const reminders = h.lifecycle.filter((m) => m.key === target.subscriptionId && m.json().type === 'subscription.deletion-reminder');
    expect(reminders.map((m) => (m.json() as { data?: { reminderOffset?: string } }).data?.reminderOffset)).toEqual(['PT2S']);

    // Events for a deleted subscription change nothing; the decision is still audited.
    const late = paymentSettled(target, 'inv-1');
    await h.produce(h.topics.payments, [late]);
    await eventually(async () =>
      expect((await h.app.audit.byEventId(late.eventId))[0]).toMatchObject({ outcome: 'ignored', reason: 'subscription-deleted' }),
    );
    expect((await state(target))?.status).toBe('deleted');
    const trail = await h.app.audit.trail(target.subscriptionId);
    expect(trail.map((record) => [record.type, record.outcome])).toEqual(
      expect.arrayContaining([
        ['invoice-overdue', 'applied'],
        ['deletion-job', 'applied'],
        ['invoice-settled', 'ignored'],
      ]),
    );
  });

  it('a legal hold blocks the deletion (access is unchanged); releasing it reschedules after the grace period', async () => {
    const ids = newIds('legal');
    await seed(ids, 4, 0);
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect((await state(ids))?.status).toBe('suspended'));
    const operator = { kind: 'operator' as const, id: 'ops-alice' };
    const command = (type: 'legal-hold-set' | 'legal-hold-released') => ({
      eventId: randomUUID(),
      occurredAt: Date.now(),
      ...ids,
      actor: operator,
      instruction: { type, reason: 'litigation L-17' },
    });
    await applyCommands([{ command: command('legal-hold-set'), deliveryRef: 'test' }], h.app.processDeps);
    const dueAt = (await state(ids))?.deletion?.dueAt ?? 0;

    await eventually(async () => {
      const trail = await h.app.audit.trail(ids.subscriptionId);
      expect(trail.some((record) => record.type === 'deletion-job' && record.reason === 'deletion skipped: legal-hold')).toBe(true);
    }, DELAY_MS + 30_000);
    // The timer is done (its job gone) and nothing else is scheduled: no deletion can follow.
    await eventually(async () => expect(await timerJobs(ids)).toEqual([]));
    expect(await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1))).toBeUndefined();
    expect(await count('documents', { subscriptionId: ids.subscriptionId })).toBe(4);
    expect((await state(ids))?.status).toBe('suspended');
    expect((await state(ids))?.deletion?.dueAt).toBe(dueAt);

    const releasedAt = Date.now();
    await applyCommands([{ command: command('legal-hold-released'), deliveryRef: 'test' }], h.app.processDeps);
    const rescheduled = (await state(ids))?.deletion;
    expect(rescheduled?.generation).toBe(2);
    // Grace (P7D by default) outlasts the original due date, which has passed.
    expect(rescheduled?.dueAt).toBeGreaterThanOrEqual(releasedAt + 7 * 24 * 3600 * 1000);
    expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 2)))?.getState()).toBe('delayed');
  });
});

/** Reactivation removes the timer: checked on the job itself, with a delay no test outlives (nothing fires meanwhile). */
describe('data deletion cancelled by reactivation', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'P1D', DELETION_REMINDERS: 'PT12H', DATA_COLLECTIONS: 'documents' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('reactivation before the due time removes the timer job: the data stays', async () => {
    const ids = newIds('saved');
    await h.app.connection
      .collection('documents')
      .insertMany([0, 1].map(() => ({ _id: randomUUID() as never, subscriptionId: ids.subscriptionId, tenantId: ids.tenantId })));
    const jobId = deletionJobId(ids.subscriptionId, 1);
    await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-1')]);
    await eventually(async () => expect(await (await h.app.queue.getJob(jobId))?.getState()).toBe('delayed'));

    await h.produce(h.topics.payments, [paymentSettled(ids, 'inv-1')]);
    await eventually(async () =>
      expect((await h.app.subscriptions.get(ids.subscriptionId))?.state).toMatchObject({ status: 'active', deletion: null }),
    );
    await eventually(async () => expect(await h.app.queue.getJob(jobId)).toBeUndefined());
    expect((await h.app.audit.trail(ids.subscriptionId)).filter((record) => record.type === 'deletion-job')).toEqual([]);
    expect(await h.app.connection.collection('documents').countDocuments({ subscriptionId: ids.subscriptionId })).toBe(2);
  });
});
