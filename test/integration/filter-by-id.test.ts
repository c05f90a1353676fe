import { deletionJobId } from '../../src/queue/timer-jobs';
import { fraudCleared, fraudDetected, newIds, paymentOverdue, paymentSettled, type Ids } from '../support/events';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/** MONGO_FILTER_BY_ID_ONLY (FerretDB's fast path): the same state, timers and carried-out effects as the guarded path. */
describe('MONGO_FILTER_BY_ID_ONLY', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ MONGO_FILTER_BY_ID_ONLY: 'true', DELETION_DELAY: 'PT1H', DELETION_REMINDERS: 'none' });
  });
  afterAll(async () => {
    await h.stop();
  });

  const stored = async (ids: Ids) => await h.app.subscriptions.get(ids.subscriptionId);
  const jobState = async (id: string) => (await h.app.queue.getJob(id))?.getState() ?? 'absent';

  it('suspends, redelivers a duplicate as a no-op, stacks holds and reactivates, owing no effects after each', async () => {
    const ids = newIds('by-id');
    const overdue = paymentOverdue(ids, 'inv-1');
    await h.produce(h.topics.payments, [overdue, overdue, paymentOverdue(ids, 'inv-2')]);
    await h.produce(h.topics.fraud, [fraudDetected(ids, 'case-1', 0.9)]);
    await eventually(async () =>
      expect((await stored(ids))?.state.holds.map((hold) => hold.reason).sort()).toEqual(['fraud', 'nonpayment']),
    );
    expect(await jobState(deletionJobId(ids.subscriptionId, 1))).toBe('delayed');
    await eventually(async () => expect(await h.app.commits.owing([ids.subscriptionId])).toEqual(new Set()));

    await h.produce(h.topics.payments, [paymentSettled(ids, 'inv-1'), paymentSettled(ids, 'inv-2')]);
    await h.produce(h.topics.fraud, [fraudCleared(ids, 'case-1')]);
    await eventually(async () => expect((await stored(ids))?.state.status).toBe('active'));
    await eventually(async () => expect(await jobState(deletionJobId(ids.subscriptionId, 1))).toBe('absent'));
    await eventually(async () => expect(await h.app.commits.owing([ids.subscriptionId])).toEqual(new Set()));
    const trail = await h.app.audit.trail(ids.subscriptionId);
    expect(trail.filter((record) => record.outcome === 'applied')).toHaveLength(6);
    expect(trail.filter((record) => record.outcome === 'duplicate')).toHaveLength(1);
  });
});
