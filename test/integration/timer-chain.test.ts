import { randomUUID } from 'node:crypto';

import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, suspendRequested } from '../support/events';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/** One job per timer: it wakes for each reminder in turn, then deletes; Redis never holds a second job for it. */
describe('the deletion timer, one job from suspension to deletion', () => {
  let h: Harness;

  beforeAll(async () => {
    // Wakes 3 s after suspension (reminder PT6S), at 6 s (PT3S), and deletes at 9 s.
    h = await startWorker({ DELETION_DELAY: 'PT9S', DELETION_REMINDERS: 'PT6S,PT3S', DATA_COLLECTIONS: 'documents' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('sends each reminder once, in order, from the same job, then deletes the data', async () => {
    const ids = newIds('chain');
    await h.app.connection.collection('documents').insertOne({ _id: randomUUID() as never, ...ids });
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    const jobId = deletionJobId(ids.subscriptionId, 1);
    const timerJobs = async () =>
      (await h.app.queue.getRanges(['delayed', 'wait', 'active'], 0, -1)).filter((id) => id.endsWith(`.${ids.subscriptionId}`));

    await eventually(async () => expect(await timerJobs()).toEqual([jobId]));
    const firstReminder = await eventually(() => {
      const sent = h.lifecycle.find((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.deletion-reminder');
      expect(sent).toBeDefined();
      return sent;
    });
    expect(firstReminder?.json()).toMatchObject({ data: { reminderOffset: 'PT6S', causationId: jobId } });
    // Between wakes the same job sleeps again, and nothing else is scheduled.
    expect(await timerJobs()).toEqual([jobId]);

    await eventually(async () => expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.status).toBe('deleted'), 30_000);
    const reminders = h.lifecycle
      .filter((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.deletion-reminder')
      .map((m) => (m.json() as { data?: { reminderOffset?: string } }).data?.reminderOffset);
    expect(reminders).toEqual(['PT6S', 'PT3S']);
    await eventually(() =>
      expect(h.lifecycle.some((m) => m.key === ids.subscriptionId && m.json().type === 'subscription.data-deleted')).toBe(true),
    );
    expect(await h.app.connection.collection('documents').countDocuments({ subscriptionId: ids.subscriptionId })).toBe(0);
    const trail = await h.app.audit.trail(ids.subscriptionId);
    expect(trail.filter((record) => record.eventId === jobId).map((record) => record.reason)).toEqual(
      expect.arrayContaining(['deletion-reminder PT6S', 'deletion-reminder PT3S', 'data-deleted']),
    );
  });
});
