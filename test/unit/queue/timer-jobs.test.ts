import { dataDeletionPayload, deletionJobId, parseDeletionJobId, timerJobOptions } from '../../../src/queue/timer-jobs';
import { timerRetryDelayMs as retryDelayMs, TIMER_RETRY } from '../../../src/retry-policies';

describe('deletion job ids', () => {
  it.each(['sub-1', 'a', 'A.b_c-9', 'x'.repeat(128)])('round-trip %s', (subscriptionId) => {
    expect(parseDeletionJobId(deletionJobId(subscriptionId, 42))).toEqual({ subscriptionId, generation: 42 });
  });

  it.each(['', 'd.1.', 'd.0.sub-1', 'd.x.sub-1', 'r.1.P7D.sub-1', 'd.1.-sub', 'd.1.sub:1', 'repeat:abc:123', `d.1.${'x'.repeat(129)}`])(
    'refuses %j',
    (jobId) => {
      expect(parseDeletionJobId(jobId)).toBeNull();
      expect(dataDeletionPayload.safeParse({ jobId, data: {} }).success).toBe(false);
    },
  );

  it('the payload comes from the id, whatever the data says', () => {
    expect(dataDeletionPayload.parse({ jobId: 'd.3.sub-7', data: { subscriptionId: 'other', generation: 9 } })).toEqual({
      subscriptionId: 'sub-7',
      generation: 3,
    });
  });
});

describe('timerJobOptions', () => {
  it('holds only the id and the delay, never negative', () => {
    expect(timerJobOptions('d.1.sub-1', 5_000, 1_000)).toEqual({ jobId: 'd.1.sub-1', delay: 4_000 });
    expect(timerJobOptions('d.1.sub-1', 1_000, 5_000)).toEqual({ jobId: 'd.1.sub-1', delay: 0 });
  });
});

describe('retryDelayMs', () => {
  it('backs off exponentially from 2 s and is capped at 30 min', () => {
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(failures))).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(retryDelayMs(TIMER_RETRY.retries)).toBe(30 * 60_000);
    expect(retryDelayMs(3, { retries: 5, baseMs: 10, maxMs: 25 })).toBe(25);
  });
});
