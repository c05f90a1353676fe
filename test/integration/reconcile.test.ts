import { randomUUID } from 'node:crypto';

import { decide } from '../../src/domain';
import { reconcile } from '../../src/ops/reconcile';
import { DATA_DELETION, deletionJobId, reminderJobId, timerJobOptions } from '../../src/queue/timer-jobs';
import { createLogger } from '../../src/logging/logger';
import { newIds, paymentOverdue, type Ids } from '../support/events';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/** MongoDB is the source of truth; the reconciler brings Redis's timers back in line with it. */
describe('reconciler', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({
      DELETION_DELAY: 'PT1H',
      DELETION_REMINDERS: 'PT30M',
      RECONCILE_ENABLED: 'false',
      DATA_COLLECTIONS: 'documents',
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  const run = () =>
    reconcile({ subscriptions: h.app.subscriptions, queue: h.app.queue, clock: Date.now, logger: createLogger('silent') }, { pageSize: 2 });
  const job = (id: string) => h.app.queue.getJob(id);
  const suspend = async (ids: Ids) => {
    await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-1')]);
    await eventually(async () => expect(await (await job(deletionJobId(ids.subscriptionId, 1)))?.getState()).toBe('delayed'));
  };

  it('schedules missing jobs, re-times wrong ones, removes orphans, runs overdue deletions, and then finds nothing to do', async () => {
    const lost = newIds('lost');
    const retimed = newIds('retimed');
    const orphaned = newIds('orphan');
    const overdue = newIds('overdue');
    await suspend(lost);
    await suspend(retimed);

    // Redis lost two of `lost`'s jobs.
    await h.app.queue.remove(deletionJobId(lost.subscriptionId, 1));
    await h.app.queue.remove(reminderJobId(lost.subscriptionId, 1, 'PT30M'));
    // `retimed`'s deletion job is set for the wrong time.
    const dueAt = (await h.app.subscriptions.get(retimed.subscriptionId))?.state.deletion?.dueAt ?? 0;
    await h.app.queue.remove(deletionJobId(retimed.subscriptionId, 1));
    await h.app.queue.add(
      DATA_DELETION,
      { subscriptionId: retimed.subscriptionId, generation: 1 },
      timerJobOptions(deletionJobId(retimed.subscriptionId, 1), dueAt + 3_600_000, Date.now()),
    );
    // A job for a subscription MongoDB has never suspended.
    await h.app.queue.add(
      DATA_DELETION,
      { subscriptionId: orphaned.subscriptionId, generation: 1 },
      timerJobOptions(deletionJobId(orphaned.subscriptionId, 1), Date.now() + 3_600_000, Date.now()),
    );
    // A suspension whose deletion came due while its job was lost: written straight to MongoDB, no job at all.
    const longAgo = Date.now() - 2 * 3_600_000;
    const decision = decide(
      null,
      {
        eventId: randomUUID(),
        occurredAt: longAgo,
        ...overdue,
        actor: { kind: 'system', id: 'test' },
        instruction: { type: 'suspend-requested', requestedBy: 'test' },
      },
      h.app.config.policy,
      longAgo,
    );
    await h.app.subscriptions.write([{ state: decision.state!, expectedVersion: 0, outbox: [] }]);
    await h.app.connection
      .collection('documents')
      .insertOne({ _id: randomUUID() as never, subscriptionId: overdue.subscriptionId, tenantId: overdue.tenantId });

    const report = await run();
    expect(report).toMatchObject({ missing: 3, overdueMissing: 1, wrongTime: 1, orphans: 1, failed: 0 });
    expect(await (await job(deletionJobId(lost.subscriptionId, 1)))?.getState()).toBe('delayed');
    expect(await (await job(reminderJobId(lost.subscriptionId, 1, 'PT30M')))?.getState()).toBe('delayed');
    const fixed = await job(deletionJobId(retimed.subscriptionId, 1));
    expect(fixed!.timestamp + (fixed!.opts.delay ?? 0)).toBeGreaterThan(dueAt - 1_000);
    expect(fixed!.timestamp + (fixed!.opts.delay ?? 0)).toBeLessThan(dueAt + 1_000);
    expect(await job(deletionJobId(orphaned.subscriptionId, 1))).toBeUndefined();

    await eventually(async () => expect((await h.app.subscriptions.get(overdue.subscriptionId))?.state.status).toBe('deleted'));
    expect(await h.app.connection.collection('documents').countDocuments({ subscriptionId: overdue.subscriptionId })).toBe(0);

    expect(await run()).toMatchObject({ missing: 0, overdueMissing: 0, wrongTime: 0, orphans: 0 });
  });
});
