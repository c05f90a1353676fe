import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import type { Command } from '../../src/domain';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { applyCommands } from '../../src/use-cases/apply-commands';
import { fraudCleared, fraudDetected, newIds, paymentOverdue, paymentSettled, type Ids } from '../support/events';
import { fraudDetected as fraudCommand, invoiceOverdue } from '../support/factories';
import { racingWriter } from '../support/racing-writer';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/**
 * Both write modes on the same server (the local stack's FerretDB, which serves either filter): `{_id}` alone
 * (MONGO_FILTER_BY_ID_ONLY=true, what `auto` picks on FerretDB) and `{_id, version}` (false, MongoDB's). The same events
 * give the same state, timers and carried-out effects; what tells them apart is a writer that read a version another
 * has replaced since: the guarded mode makes it lose and redo its work, the by-id mode lets it overwrite (there, only
 * the lease keeps two writers apart).
 */
describe.each([
  {
    setting: 'true',
    filterByIdOnly: true,
    overtaken: 'overwrites that write: no fence',
    // Its one write matched; the other writer's fraud hold is gone.
    after: { lostPerWrite: [0], holds: ['nonpayment'], version: 2 },
  },
  {
    setting: 'false',
    filterByIdOnly: false,
    overtaken: 'loses, and redoes its work on the newer version',
    after: { lostPerWrite: [1, 0], holds: ['nonpayment', 'fraud'], version: 3 },
  },
])('MONGO_FILTER_BY_ID_ONLY=$setting', ({ setting, filterByIdOnly, overtaken, after }) => {
  let h: Harness;
  let redis: Redis;

  beforeAll(async () => {
    h = await startWorker({ MONGO_FILTER_BY_ID_ONLY: setting, DELETION_DELAY: 'PT1H', DELETION_REMINDERS: 'none' });
    redis = new Redis(h.app.config.REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await h.stop();
  });

  const stored = async (ids: Ids) => await h.app.subscriptions.get(ids.subscriptionId);
  const jobState = async (id: string) => (await h.app.queue.getJob(id))?.getState() ?? 'absent';

  it('is the mode the worker writes in', () => {
    expect(h.app.subscriptions.dialect).toMatchObject({ server: 'ferretdb', filterByIdOnly });
  });

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

  it(`a writer whose read another write overtook ${overtaken}`, async () => {
    const id = `sub-${randomUUID()}`;
    const once = (command: Command) => [{ command, deliveryRef: randomUUID() }];
    await applyCommands(once(invoiceOverdue({ subscriptionId: id })), h.app.processDeps);
    const stale = racingWriter(h, redis);
    stale.subscriptions.beforeNextWrite(() => applyCommands(once(fraudCommand({ subscriptionId: id })), h.app.processDeps));

    await applyCommands(once(invoiceOverdue({ subscriptionId: id, invoiceId: 'inv-2' })), stale.apply);

    const stored = await h.app.subscriptions.get(id);
    expect({
      lostPerWrite: stale.subscriptions.lost.map((lost) => lost.size),
      holds: stored?.state.holds.map((hold) => hold.reason),
      version: stored?.version,
    }).toEqual(after);
  });
});
