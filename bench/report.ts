import { ratio } from './stats';
import type { VariantResult } from './variant';

function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function times(value: number | null): string {
  if (value === null) return '–';
  // Two significant digits below 0.1, so a worker at 1/400 of the limit does not read as 0.00×.
  return `${Math.abs(value) < 0.1 ? value.toPrecision(2) : value.toFixed(2)}×`;
}

/** "value (×naive / ×floor)": every figure next to its ratios from the same run. */
function withRatios(value: number | null, baseline: number | null, limit: number | null, digits = 0): string {
  if (value === null || !Number.isFinite(value)) return '–';
  return `${num(value, digits)} (${times(ratio(value, baseline))} / ${times(ratio(value, limit))})`;
}

const mb = (bytes: number | null) => (bytes === null ? null : bytes / 1024 / 1024);

function correctness(result: VariantResult): string {
  const { correctness: c } = result;
  if (c.pass) return result.complete ? 'pass' : 'pass (incomplete)';
  return `FAIL (${c.stateDifferences} states, ${c.jobDifferences} jobs, ${c.pendingOutboxes} outboxes)`;
}

function statements(result: VariantResult): string {
  const per = result.statementsPerEvent;
  if (per === null) return '–';
  return Object.entries(per)
    .filter(([command]) => ['find', 'insert', 'update', 'delete', 'aggregate'].includes(command))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, n]) => `${command} ${n.toFixed(2)}`)
    .join(', ');
}

/** The side-by-side table: the worker, the naive baseline and the write floor, each figure with its ratio to the latter two. */
export function comparisonTable(results: readonly VariantResult[]): string {
  const naive = results.find((result) => result.kind === 'naive' && result.ratePerSecond === null);
  const limit = results.find((result) => result.kind === 'floor');
  const rows = [
    '| variant | events | events/s (×naive / ×floor) | p50 ms | p99 ms (×naive) | peak RSS MB (×naive / ×floor) | Redis B per suspended (×naive / ×floor) | MongoDB statements per event | correctness |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const r of results) {
    const rate = `${r.ratePerSecond === null ? '' : ` @ ${num(r.ratePerSecond)}/s`}${r.preload > 0 ? `, ${num(r.preload)} stored` : ''}`;
    rows.push(
      [
        `| ${r.label}${rate}`,
        num(r.events),
        withRatios(r.throughput, naive?.throughput ?? null, limit?.throughput ?? null),
        num(r.latency?.p50Ms),
        // A paced run's latency is not comparable with a backlog's: no ratio for it.
        r.latency === null
          ? '–'
          : `${num(r.latency.p99Ms)} (${r.ratePerSecond === null ? times(ratio(r.latency.p99Ms, naive?.latency?.p99Ms)) : '–'})`,
        withRatios(mb(r.peakRssBytes), mb(naive?.peakRssBytes ?? null), mb(limit?.peakRssBytes ?? null)),
        withRatios(r.redisBytesPerSuspended, naive?.redisBytesPerSuspended ?? null, limit?.redisBytesPerSuspended ?? null),
        statements(r),
        `${correctness(r)} |`,
      ].join(' | '),
    );
  }
  return rows.join('\n');
}

/** The sweep: one row per batch size or worker count. */
export function sweepTable(results: readonly VariantResult[]): string {
  const rows = [
    '| variant | CONSUMER_BATCH_SIZE | workers | events | events/s | p50 ms | p99 ms | peak RSS MB (per process) | correctness |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results)
    rows.push(
      `| ${r.label} | ${r.settings.CONSUMER_BATCH_SIZE ?? '500'} | ${r.workers} | ${num(r.events)} | ${num(r.throughput)} | ${num(r.latency?.p50Ms)} | ${num(r.latency?.p99Ms)} | ${num(mb(r.peakRssBytes))} | ${correctness(r)} |`,
    );
  return rows.join('\n');
}
