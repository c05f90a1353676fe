/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  let max = samples.length === 0 ? NaN : -Infinity;
  for (let i = 0; i < samples.length; i++) max = Math.max(max, samples[i] ?? -Infinity);
  return { count: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: max };
}

/** a / b, or null when either is missing or b is zero: a ratio that cannot be computed is shown as such, not as 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

export interface SizeSummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Count, nearest-rank percentiles and maximum of sizes (NaN but the count when there are none). */
export function sizeSummary(sizes: ArrayLike<number>): SizeSummary {
  const sorted = Float64Array.from(sizes).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}
