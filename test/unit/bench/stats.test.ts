import { percentile, ratio, sizeSummary, summarize } from '../../../bench/stats';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles of unsorted samples', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('p99 of 1..1000 is the 990th value', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    expect(summarize(samples)).toEqual({ count: 1000, p50Ms: 500, p99Ms: 990, maxMs: 1000 });
  });

  it('gives no ratio where one cannot be computed', () => {
    expect(ratio(10, 4)).toBe(2.5);
    expect(ratio(10, 0)).toBeNull();
    expect(ratio(null, 4)).toBeNull();
    expect(ratio(NaN, 4)).toBeNull();
  });

  it('summarizes sizes by nearest rank', () => {
    const sizes = Array.from({ length: 100 }, (_, i) => (100 - i) * 10);
    expect(sizeSummary(sizes)).toEqual({ count: 100, p50: 500, p90: 900, p99: 990, max: 1000 });
    expect(sizeSummary([])).toEqual({ count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN });
  });
});
