import { LagHistory, partitionSeries } from '../../../src/metrics/lag-history';

describe('LagHistory', () => {
  it('keeps the last hour of readings, oldest first, in a fixed ring', async () => {
    let now = 0;
    let lag = 0;
    const history = new LagHistory(
      () => Promise.resolve([{ topic: 't', partition: 0, lag: lag++, committed: 0 }]),
      60_000,
      () => now,
    );
    for (let minute = 0; minute < 150; minute++) {
      now = minute * 60_000;
      await history.sample();
    }
    const samples = history.samples();
    expect(samples[0]?.at).toBe(89 * 60_000);
    expect(samples.at(-1)?.at).toBe(149 * 60_000);
    expect(partitionSeries(samples, 't', 0).map((point) => point.lag)).toEqual(Array.from({ length: 61 }, (_, index) => 89 + index));
    expect(partitionSeries(samples, 't', 1)).toEqual([]);
  });

  it('skips a failed reading instead of throwing', async () => {
    const errors: unknown[] = [];
    const history = new LagHistory(
      () => Promise.reject(new Error('broker away')),
      60_000,
      () => 0,
      (error) => errors.push(error),
    );
    await history.sample();
    expect(history.samples()).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});
