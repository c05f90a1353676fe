import { randomUUID } from 'node:crypto';

import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, suspendRequested, type Ids } from '../support/events';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

const DAY = 86_400_000;

/**
 * One job per timer: it wakes for each reminder in turn, then deletes; Redis never holds a second job for it. Time is
 * the test's: the worker's clock runs ahead of the real one by what the test says, and each wake is a promotion of the
 * delayed job, so what is sent depends on where the clock stands, never on how busy the machine is. The delays are days
 * long, so no wake ever comes by itself.
 */
describe('the deletion timer, one job from suspension to deletion', () => {
  let h: Harness;
  let ahead = 0;

  beforeAll(async () => {
    // Reminders 6 and 3 days before a deletion 9 days after suspension: wakes at day 3, day 6, deletion at day 9.
    h = await startWorker(
      { DELETION_DELAY: 'P9D', DELETION_REMINDERS: 'P6D,P3D', DATA_COLLECTIONS: 'documents', RECONCILE_ENABLED: 'false' },
      undefined,
      undefined,
      undefined,
      () => Date.now() + ahead,
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const state = async (ids: Ids) => (await h.app.subscriptions.get(ids.subscriptionId))?.state;
  const timerJobs = async (ids: Ids) =>
    (await h.app.queue.getRanges(['delayed', 'wait', 'active'], 0, -1)).filter((id) => id.endsWith(`.${ids.subscriptionId}`));
  const reminders = (ids: Ids) =>
    h.lifecycle
      .filter((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.deletion-reminder')
      .map((m) => (m.json() as { data?: { reminderOffset?: string; causationId?: string } }).data);

  /** Suspends a fresh subscription; returns it and when it was suspended, on the worker's clock. */
  async function suspended(): Promise<{ ids: Ids; at: number; jobId: string }> {
    const ids = newIds('chain');
    await h.app.connection.collection('documents').insertOne({ _id: randomUUID() as never, ...ids });
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    const jobId = deletionJobId(ids.subscriptionId, 1);
    await eventually(async () => expect(await (await h.app.queue.getJob(jobId))?.getState()).toBe('delayed'));
    const dueAt = (await state(ids))?.deletion?.dueAt ?? Number.NaN;
    return { ids, at: dueAt - 9 * DAY, jobId };
  }

  /** Sets the worker's clock to `instant` and wakes the job now, as BullMQ would at its time. */
  async function wakeAt(instant: number, jobId: string): Promise<void> {
    ahead = instant - Date.now();
    await (await h.app.queue.getJob(jobId))?.promote();
  }

  /** Waits until the job sleeps again (delayed), having done what its wake was for. */
  const asleep = (jobId: string) => eventually(async () => expect(await (await h.app.queue.getJob(jobId))?.getState()).toBe('delayed'));

  it('sends each reminder once, in order, from the same job, then deletes the data', async () => {
    const { ids, at, jobId } = await suspended();
    expect(await timerJobs(ids)).toEqual([jobId]);

    await wakeAt(at + 3 * DAY + 1_000, jobId);
    await eventually(() => expect(reminders(ids)).toEqual([expect.objectContaining({ reminderOffset: 'P6D', causationId: jobId })]));
    await asleep(jobId);
    // Between wakes the same job sleeps again, and nothing else is scheduled.
    expect(await timerJobs(ids)).toEqual([jobId]);

    await wakeAt(at + 6 * DAY + 1_000, jobId);
    await eventually(() => expect(reminders(ids).map((data) => data?.reminderOffset)).toEqual(['P6D', 'P3D']));
    await asleep(jobId);
    expect(await timerJobs(ids)).toEqual([jobId]);

    await wakeAt(at + 9 * DAY + 1_000, jobId);
    await eventually(async () => expect((await state(ids))?.status).toBe('deleted'));
    await eventually(() =>
      expect(h.lifecycle.some((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.data-deleted')).toBe(true),
    );
    expect(reminders(ids).map((data) => data?.reminderOffset)).toEqual(['P6D', 'P3D']);
    expect(await h.app.connection.collection('documents').countDocuments({ subscriptionId: ids.subscriptionId })).toBe(0);
    await eventually(async () => expect(await timerJobs(ids)).toEqual([]));
    const trail = await h.app.audit.trail(ids.subscriptionId);
    expect(trail.filter((record) => record.eventId === jobId).map((record) => record.reason)).toEqual(
      expect.arrayContaining(['deletion-reminder P6D', 'deletion-reminder P3D', 'data-deleted']),
    );
  });

  it('woken late, past both reminder moments, sends only the nearer one, then sleeps until the deletion', async () => {
    const { ids, at, jobId } = await suspended();

    await wakeAt(at + 6 * DAY + 1_000, jobId);
    await eventually(() => expect(reminders(ids).map((data) => data?.reminderOffset)).toEqual(['P3D']));
    await asleep(jobId);

    await wakeAt(at + 9 * DAY + 1_000, jobId);
    await eventually(async () => expect((await state(ids))?.status).toBe('deleted'));
    expect(reminders(ids).map((data) => data?.reminderOffset)).toEqual(['P3D']);
  });
});
