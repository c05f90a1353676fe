import { leasePrefix, SubscriptionLeases } from '../../src/leases/subscription-leases';
import { newIds, suspendRequested } from '../support/events';
import { testRedis } from '../support/redis.helper';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

/** An operator command for a subscription another process holds too long is refused with 503, to retry, not 500. */
describe('a subscription busy in another process', () => {
  let h: Harness;
  const redis = testRedis();

  beforeAll(async () => {
    h = await startWorker({ SUBSCRIPTION_LEASE_TTL: 'PT1S' });
  });
  afterAll(async () => {
    await h.stop();
    await redis.quit();
  });

  it('answers 503 with Retry-After while the lease is held elsewhere, and applies once it is free', async () => {
    const ids = newIds('busy');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () => expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.status).toBe('suspended'));
    const other = new SubscriptionLeases(redis, { prefix: leasePrefix(h.app.config.QUEUE_PREFIX, h.app.connection.name), ttlMs: 1_000 });
    const post = () =>
      fetch(`${h.baseUrl}/v1/subscriptions/${ids.subscriptionId}/legal-hold`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'litigation L-9', actor: 'ops-alice' }),
      });

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The other process must hold the lease before the request comes, or the request may take it first.
    let held!: () => void;
    const holdingNow = new Promise<void>((resolve) => (held = resolve));
    const holding = other.withLeases([ids.subscriptionId], () => {
      held();
      return released;
    });
    await holdingNow;
    const refused = await post();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ error: 'unavailable', message: expect.stringContaining('SUBSCRIPTION_BUSY') });

    release();
    await holding;
    const applied = await post();
    expect(applied.status).toBe(200);
    expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.legalHold).not.toBeNull();
  });
});
