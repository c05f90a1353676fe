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
  /** Waits until the subscription's deletion time has passed by a margin, so a timer that was going to fire has fired. */
  const pastDue = async (dueAt: number) => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now()) + 2_000));
  };

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
    expect(tombstone?.recentEventIds).toEqual([]);
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

  it('reactivation before the due time cancels the deletion: the data stays', async () => {
    const ids = newIds('saved');
    await seed(ids, 2, 0);
    await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-1')]);
    await eventually(async () => expect((await state(ids))?.status).toBe('suspended'));
    const dueAt = (await state(ids))?.deletion?.dueAt ?? 0;
    await h.produce(h.topics.payments, [paymentSettled(ids, 'inv-1')]);
    await eventually(async () => expect((await state(ids))?.status).toBe('active'));

    await pastDue(dueAt);
    expect(await count('documents', { subscriptionId: ids.subscriptionId })).toBe(2);
    expect((await state(ids))?.status).toBe('active');
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
    await pastDue(dueAt);
    expect(await count('documents', { subscriptionId: ids.subscriptionId })).toBe(4);
    expect((await state(ids))?.status).toBe('suspended');

    const releasedAt = Date.now();
    await applyCommands([{ command: command('legal-hold-released'), deliveryRef: 'test' }], h.app.processDeps);
    const rescheduled = (await state(ids))?.deletion;
    expect(rescheduled?.generation).toBe(2);
    // Grace (P7D by default) outlasts the original due date, which has passed.
    expect(rescheduled?.dueAt).toBeGreaterThanOrEqual(releasedAt + 7 * 24 * 3600 * 1000);
    expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 2)))?.getState()).toBe('delayed');
  });
});
