import type { Redis } from 'ioredis';

import { AppError } from '../../src/errors';
import { SubscriptionLeases } from '../../src/leases/subscription-leases';
import { testRedis } from '../support/redis.helper';
import { uniqueName } from '../support/unique-name';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise and the function that settles it: lets a test decide when a holder's work ends. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/**
 * Two "processes" are two lease tables on two Redis connections, as two worker processes have: neither may hold a
 * subscription while the other does, and a holder that dies lets go when its lease expires.
 */
describe('subscription leases on the real Redis', () => {
  const clients: Redis[] = [];
  const connect = (): Redis => {
    const client = testRedis();
    clients.push(client);
    return client;
  };
  afterAll(async () => {
    // quit, not disconnect: it waits for the socket to close, so no timer outlives the file.
    await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
  });

  it('a second process waits until the first has let go, and only then runs', async () => {
    const prefix = `${uniqueName('lease')}:`;
    const first = new SubscriptionLeases(connect(), { prefix, ttlMs: 10_000 });
    const second = new SubscriptionLeases(connect(), { prefix, ttlMs: 10_000 });
    const log: string[] = [];
    const release = gate();
    const entered = gate();
    const holding = first.withLeases(['sub-1', 'sub-2'], async () => {
      log.push('first in');
      entered.open();
      await release.opened;
      log.push('first out');
    });
    await entered.opened;
    const waiting = second.withLeases(['sub-2', 'sub-3'], () => {
      log.push('second in');
      return Promise.resolve();
    });
    // The second keeps retrying meanwhile; it must not get in while the first holds sub-2.
    await sleep(500);
    expect(log).toEqual(['first in']);
    release.open();
    await Promise.all([holding, waiting]);
    expect(log).toEqual(['first in', 'first out', 'second in']);
  });

  it('many holders of overlapping key sets in two processes: never two on one key, no deadlock', async () => {
    const prefix = `${uniqueName('lease')}:`;
    const processes = [0, 1].map(() => new SubscriptionLeases(connect(), { prefix, ttlMs: 10_000, maxWaitMs: 60_000 }));
    const holders = new Map<string, number>();
    const overlaps: string[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const runs = Array.from({ length: 60 }, (_, n) => {
      const chosen = keys.filter(() => next() < 0.4);
      const leases = processes[n % 2];
      if (leases === undefined) throw new Error('unreachable');
      return leases.withLeases(chosen, async () => {
        for (const key of chosen) {
          if (holders.has(key)) overlaps.push(`${key}: holder ${n} entered while ${holders.get(key)} held it`);
          holders.set(key, n);
        }
        await sleep(next() * 20);
        for (const key of chosen) holders.delete(key);
      });
    });
    await Promise.all(runs);
    expect(overlaps).toEqual([]);
  });

  it('a holder that outlives the TTL keeps its lease: it is renewed while the work runs', async () => {
    const prefix = `${uniqueName('lease')}:`;
    const ttlMs = 2_000;
    const first = new SubscriptionLeases(connect(), { prefix, ttlMs });
    const second = new SubscriptionLeases(connect(), { prefix, ttlMs, maxWaitMs: 60_000 });
    const log: string[] = [];
    const entered = gate();
    const long = first.withLeases(['sub-long'], async () => {
      log.push('first in');
      entered.open();
      await sleep(3 * ttlMs);
      log.push('first out');
    });
    await entered.opened;
    await second.withLeases(['sub-long'], () => {
      log.push('second in');
      return Promise.resolve();
    });
    await long;
    expect(log).toEqual(['first in', 'first out', 'second in']);
  });

  it("a crashed holder's lease expires, and another process takes the subscription", async () => {
    const prefix = `${uniqueName('lease')}:`;
    const ttlMs = 1_500;
    const doomed = connect();
    const crashed = new SubscriptionLeases(doomed, { prefix, ttlMs });
    const observer = connect();
    const never = gate();
    const entered = gate();
    const abandoned = crashed.withLeases(['sub-crash'], async () => {
      entered.open();
      await never.opened;
    });
    await entered.opened;
    expect(await observer.get(`${prefix}sub-crash`)).not.toBeNull();
    // The process dies: its connection goes, nothing renews or releases the lease.
    doomed.disconnect();
    const survivor = new SubscriptionLeases(connect(), { prefix, ttlMs, maxWaitMs: 60_000 });
    let ran = false;
    await survivor.withLeases(['sub-crash'], () => {
      ran = true;
      return Promise.resolve();
    });
    expect(ran).toBe(true);
    await until(async () => (await observer.exists(`${prefix}sub-crash`)) === 0, 'the survivor released the lease');
    never.open();
    await abandoned;
  });

  it('gives up with a retriable SUBSCRIPTION_BUSY when another process holds a lease for too long', async () => {
    const prefix = `${uniqueName('lease')}:`;
    const first = new SubscriptionLeases(connect(), { prefix, ttlMs: 10_000 });
    const impatient = new SubscriptionLeases(connect(), { prefix, ttlMs: 10_000, maxWaitMs: 300 });
    const release = gate();
    const entered = gate();
    const holding = first.withLeases(['sub-busy'], async () => {
      entered.open();
      await release.opened;
    });
    await entered.opened;
    const error = await impatient.withLeases(['sub-busy', 'sub-free'], () => Promise.resolve()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'SUBSCRIPTION_BUSY', retriable: true });
    release.open();
    await holding;
    // Giving up let go of what it had taken.
    expect(await connect().exists(`${prefix}sub-free`)).toBe(0);
  });
});
