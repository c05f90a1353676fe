import { randomBytes } from 'node:crypto';

import { newIds, paymentOverdue, paymentSettled, type Ids } from '../support/events';
import { testKafka } from '../support/kafka.helper';
import { uniqueName } from '../support/unique-name';
import { eventually, startWorker, type Harness } from '../support/worker-harness';

/*
 * Issue 11, findings 1 (a late resend is applied again), 7 (tenant squatting) and the readiness part of 3 (a partition
 * that makes no progress while it has lag). Each failed on the code of 2026-11-29 before the data-path rewrite.
 */
describe('late resends, tenant squatting and stalled partitions (issue 11)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'P60D' });
  });
  afterAll(async () => {
    await h.stop();
  });

  const state = async (ids: Ids) => (await h.app.subscriptions.get(ids.subscriptionId))?.state ?? null;

  it('never applies an event twice, however late the resend: overdue, settled at the same second, 256 others, the overdue again', async () => {
    const ids = newIds('late');
    const at = new Date(Date.now() - 3_600_000);
    at.setUTCMilliseconds(0);
    const second = (n: number) => new Date(at.getTime() + n * 1_000).toISOString();
    // Upstream timestamps with one-second precision: e1 and e2 carry the same occurredAt.
    const e1 = paymentOverdue(ids, 'inv-1', { occurredAt: second(0) });
    const e2 = paymentSettled(ids, 'inv-1', { occurredAt: second(0) });
    const others = Array.from({ length: 128 }, (_, n) => [
      paymentOverdue(ids, `inv-other-${n}`, { occurredAt: second(1 + n) }),
      paymentSettled(ids, `inv-other-${n}`, { occurredAt: second(1 + n) }),
    ]).flat();
    await h.produce(h.topics.payments, [e1, e2, ...others]);
    const last = others.at(-1)!;
    await eventually(async () => expect(await h.app.audit.byEventId(last.eventId)).toHaveLength(1), 90_000);
    expect((await state(ids))?.status).toBe('active');

    await h.produce(h.topics.payments, [e1]);
    const records = await eventually(async () => {
      const found = await h.app.audit.byEventId(e1.eventId);
      // The resend must be visible in the audit trail (as a duplicate), not swallowed.
      expect(found).toHaveLength(2);
      return found;
    }, 60_000);
    expect(records.map((record) => record.outcome).sort()).toEqual(['applied', 'duplicate']);
    const after = await state(ids);
    expect(after?.status).toBe('active');
    expect(after?.deletion ?? null).toBeNull();
  });

  it('does not create a subscription for an event that changes nothing: a forged no-op from another tenant cannot squat it', async () => {
    const ids = newIds('squat');
    const forger: Ids = { ...ids, tenantId: 'tenant-evil' };
    // A settlement of an invoice that was never overdue: changes nothing, arrives first.
    await h.produce(h.topics.payments, [paymentSettled(forger, 'inv-none')]);
    const real = paymentOverdue(ids, 'inv-1');
    await h.produce(h.topics.payments, [real]);
    await eventually(async () => expect((await h.app.audit.byEventId(real.eventId)).length).toBeGreaterThan(0), 60_000);
    const [record] = await h.app.audit.byEventId(real.eventId);
    expect(record?.outcome).toBe('applied');
    const stored = await state(ids);
    expect(stored?.tenantId).toBe('tenant-a');
    expect(stored?.status).toBe('suspended');
    expect(h.deadLetters.filter((letter) => letter.key === ids.subscriptionId)).toEqual([]);
  });
});

describe('readiness sees a stalled partition (issue 11, finding 3)', () => {
  let h: Harness;

  beforeAll(async () => {
    // A dead-letter topic smaller than the worker assumes (misconfigured): parking a 5 KB letter fails for good.
    const dlq = uniqueName('small-dlq');
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: dlq, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1024' }] }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    h = await startWorker({ TOPIC_DLQ: dlq, MAX_MESSAGE_BYTES: '1024' });
  });
  afterAll(async () => {
    await h.stop();
  });

  /** /readyz as a probe and an operator see it: the status code and what the body says is wrong. */
  const readiness = async () => {
    const response = await fetch(`${h.baseUrl}/readyz`);
    return { status: response.status, body: await response.json() };
  };

  it('answers 503 on /readyz while a partition has lag and makes no progress, and says that is why', async () => {
    const ids = newIds('stalled');
    expect(await readiness()).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { mongodb: true, redis: true, kafka: true, partitionsProgressing: true } },
    });
    // Incompressible: the sink gzips, and 5 KB of one character would fit the small topic compressed.
    await h.produce(h.topics.payments, [{ key: ids.subscriptionId, value: `{"not json ${randomBytes(4_000).toString('base64')}` }]);
    // Every dependency answers: what fails is the stalled partition, and the body says so.
    await eventually(
      async () =>
        expect(await readiness()).toMatchObject({
          status: 503,
          body: { status: 'not-ready', checks: { mongodb: true, redis: true, kafka: true, partitionsProgressing: false } },
        }),
      150_000,
      1_000,
    );
  }, 180_000); // readiness reports a partition after a minute of failures: room for that on a busy machine
});
