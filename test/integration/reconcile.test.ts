import { randomUUID } from 'node:crypto';

import { decide } from '../../src/domain';
import { reconcile } from '../../src/use-cases/reconcile';
import { DATA_DELETION, deletionJobId, timerJobOptions } from '../../src/queue/timer-jobs';
import { createLogger } from '../../src/logging/logger';
import { SubscriptionRepository } from '../../src/storage/subscription.repository';
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

  it('schedules missing jobs, re-times wrong ones (not those backing off), removes orphans, runs overdue deletions, then finds nothing', async () => {
    const lost = newIds('lost');
    const retimed = newIds('retimed');
    const orphaned = newIds('orphan');
    const overdue = newIds('overdue');
    const retrying = newIds('retrying');
    const young = newIds('young');
    await suspend(lost);
    await suspend(retimed);

    await suspend(retrying);

    // Redis lost `lost`'s timer job.
    await h.app.queue.remove(deletionJobId(lost.subscriptionId, 1));
    // `retimed`'s job is set for the wrong time: it should wake for its reminder, 30 minutes before the deletion.
    const dueAt = (await h.app.subscriptions.get(retimed.subscriptionId))?.state.deletion?.dueAt ?? 0;
    await h.app.queue.remove(deletionJobId(retimed.subscriptionId, 1));
    await h.app.queue.add(DATA_DELETION, {}, timerJobOptions(deletionJobId(retimed.subscriptionId, 1), dueAt + 3_600_000, Date.now()));
    // `retrying`'s job waits out a retry backoff: its time is the backoff's, and the reconciler leaves it alone.
    await h.app.queue.remove(deletionJobId(retrying.subscriptionId, 1));
    await h.app.queue.add(
      DATA_DELETION,
      { failures: 2 },
      timerJobOptions(deletionJobId(retrying.subscriptionId, 1), Date.now() + 60_000, Date.now()),
    );
    // A job for a subscription MongoDB has never suspended, added two hours ago (the reconciler leaves a job added
    // during its run, or just before, alone: its subscription may have been suspended after pass 1 read it).
    const twoHoursAgo = Date.now() - 7_200_000;
    const orphanOptions = timerJobOptions(deletionJobId(orphaned.subscriptionId, 1), Date.now() + 3_600_000, twoHoursAgo);
    await h.app.queue.add(DATA_DELETION, {}, { ...orphanOptions, timestamp: twoHoursAgo });
    // The same, added just now: left for the next run.
    await h.app.queue.add(DATA_DELETION, {}, timerJobOptions(deletionJobId(young.subscriptionId, 1), Date.now() + 3_600_000, Date.now()));
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
    await h.app.subscriptions.write([{ state: decision.state!, expectedVersion: 0, outbox: [] }], 'test');
    await h.app.connection
      .collection('documents')
      .insertOne({ _id: randomUUID() as never, subscriptionId: overdue.subscriptionId, tenantId: overdue.tenantId });

    const report = await run();
    expect(report).toMatchObject({ missing: 2, overdueMissing: 1, wrongTime: 1, orphans: 1, failed: 0 });
    const restored = await job(deletionJobId(lost.subscriptionId, 1));
    expect(await restored?.getState()).toBe('delayed');
    expect(restored?.data).toEqual({});
    const fixed = await job(deletionJobId(retimed.subscriptionId, 1));
    const reminderAt = dueAt - 30 * 60_000;
    expect(fixed!.timestamp + (fixed!.opts.delay ?? 0)).toBeGreaterThan(reminderAt - 1_000);
    expect(fixed!.timestamp + (fixed!.opts.delay ?? 0)).toBeLessThan(reminderAt + 1_000);
    expect((await job(deletionJobId(retrying.subscriptionId, 1)))?.data).toEqual({ failures: 2 });
    expect(await job(deletionJobId(orphaned.subscriptionId, 1))).toBeUndefined();
    expect(await (await job(deletionJobId(young.subscriptionId, 1)))?.getState()).toBe('delayed');

    await eventually(async () => expect((await h.app.subscriptions.get(overdue.subscriptionId))?.state.status).toBe('deleted'));
    expect(await h.app.connection.collection('documents').countDocuments({ subscriptionId: overdue.subscriptionId })).toBe(0);

    expect(await run()).toMatchObject({ missing: 0, overdueMissing: 0, wrongTime: 0, orphans: 0 });
  });

  it('never removes jobs when the database has no subscriptions at all (a wrong MONGODB_URI, a shared queue)', async () => {
    const stranger = newIds('stranger');
    const twoHoursAgo = Date.now() - 7_200_000;
    const options = timerJobOptions(deletionJobId(stranger.subscriptionId, 1), Date.now() + 3_600_000, twoHoursAgo);
    await h.app.queue.add(DATA_DELETION, {}, { ...options, timestamp: twoHoursAgo });
    const empty = new SubscriptionRepository(h.app.connection.useDb(`reconcile-empty-${randomUUID()}`));

    const report = await reconcile({ subscriptions: empty, queue: h.app.queue, clock: Date.now, logger: createLogger('silent') });

    expect(report).toMatchObject({ subscriptionsScanned: 0, orphans: 0 });
    expect(report.orphansRefused).toBeGreaterThanOrEqual(1);
    expect(await (await job(deletionJobId(stranger.subscriptionId, 1)))?.getState()).toBe('delayed');
    await h.app.queue.remove(deletionJobId(stranger.subscriptionId, 1));
  });
});
