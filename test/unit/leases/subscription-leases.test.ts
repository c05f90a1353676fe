import { leasePrefix, renewEveryMs, settleAttempt } from '../../../src/leases/subscription-leases';
import { leaseBackoffMs as backoffMs } from '../../../src/retry-policies';

describe('subscription leases, the pure parts', () => {
  it('keeps the leading run of acquired keys and gives back what was acquired past the first miss', () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    expect(settleAttempt(keys, [true, true, true, true, true])).toEqual({ kept: 5, giveBack: [] });
    expect(settleAttempt(keys, [true, true, false, true, false])).toEqual({ kept: 2, giveBack: ['d'] });
    expect(settleAttempt(keys, [false, true, true, false, true])).toEqual({ kept: 0, giveBack: ['b', 'c', 'e'] });
    expect(settleAttempt([], [])).toEqual({ kept: 0, giveBack: [] });
  });

  it('backs off exponentially from 5 ms, capped at 200 ms, scaled by the jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffMs(attempt, 1))).toEqual([5, 10, 20, 40, 80, 160, 200, 200]);
    expect(backoffMs(3, 0.5)).toBe(20);
    expect(backoffMs(3, 0)).toBe(0);
  });

  it('renews every third of the TTL, never more often than every 100 ms', () => {
    expect(renewEveryMs(15_000)).toBe(5_000);
    expect(renewEveryMs(1_000)).toBe(333);
    expect(renewEveryMs(90)).toBe(100);
  });

  it('scopes lease keys by database, so workers of different databases never wait on each other', () => {
    expect(leasePrefix('be', 'billing-enforcer')).toBe('be:lease:billing-enforcer:');
    expect(leasePrefix('be', 'other')).not.toBe(leasePrefix('be', 'billing-enforcer'));
  });
});
