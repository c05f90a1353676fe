import { ratio, type SizeSummary } from './stats';
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

/** "find 0.01, insert 1.17": per-event counts by command, those that round to zero left out. */
function byKind(counts: Readonly<Record<string, number>>): string {
  const shown = Object.entries(counts)
    .filter(([, n]) => n >= 0.005)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, n]) => `${command} ${n.toFixed(2)}`);
  return shown.length === 0 ? '–' : shown.join(', ');
}

function variantName(r: VariantResult): string {
  return `${r.label}${r.ratePerSecond === null ? '' : ` @ ${num(r.ratePerSecond)}/s`}${r.preload > 0 ? `, ${num(r.preload)} stored` : ''}`;
}

/** "n, p50 / p90 / p99 / max" of stored BSON sizes. */
function sizes(summary: SizeSummary): string {
  if (summary.count === 0) return 'none';
  return `${num(summary.count)}: ${[summary.p50, summary.p90, summary.p99, summary.max].map((b) => num(b)).join(' / ')}`;
}

const ms = (seconds: number) => seconds * 1000;

const chained = (r: VariantResult) => r.settings.AUDIT_CHAIN !== 'false';

/** The write floor a run is held against: the one with the same audit-chain setting (the first floor when none matches). */
function floorOf(results: readonly VariantResult[], r: VariantResult): VariantResult | undefined {
  const floors = results.filter((result) => result.kind === 'floor');
  return floors.find((floor) => chained(floor) === chained(r)) ?? floors[0];
}

/** What each variant asked of the store per event, beside the floor's in the same run (docs/PERFORMANCE.md, "The store's work"). */
export function storeWorkTable(results: readonly VariantResult[]): string {
  const rows = [
    '| variant | MongoDB B written/event (×floor) | B read/event | commands/event | statements/event | CPU ms/event: variant | FerretDB (×floor) | FerretDB idle | Kafka | Redis | subscription B (n: p50 / p90 / p99 / max) | audit record B (n: p50 / p90 / p99 / max) |',
    '| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const { mongoPerEvent: mongo, cpuPerEvent: cpu } = r;
    const floor = floorOf(results, r);
    rows.push(
      [
        `| ${variantName(r)}`,
        `${num(mongo.bytesWritten)} (${times(ratio(mongo.bytesWritten, floor?.mongoPerEvent.bytesWritten))})`,
        num(mongo.bytesRead),
        byKind(mongo.commands),
        byKind(mongo.statements),
        num(ms(cpu.variant), 2),
        `${num(ms(cpu.ferretdb), 2)} (${times(ratio(cpu.ferretdb, floor?.cpuPerEvent.ferretdb))})`,
        // FerretDB's rate just before the variant, over the window: how much of its figure other clients may have added.
        num(ms((r.cpuBefore.ferretdb * r.cpuWindowMs) / 1000 / Math.max(1, r.handled)), 2),
        num(ms(cpu.kafka), 2),
        num(ms(cpu.redis), 2),
        sizes(r.storedSizes.subscriptions),
        `${sizes(r.storedSizes.audit)} |`,
      ].join(' | '),
    );
  }
  return rows.join('\n');
}

/** Issue 21's targets for each unpaced worker run, against the floor of the same run. */
export function targetsTable(results: readonly VariantResult[]): string {
  const verdict = (value: number | null, met: (value: number) => boolean, shown: string) =>
    value === null ? '–' : `${shown} ${met(value) ? 'met' : '**not met**'}`;
  const atMost = (value: number | null, bound: number) => verdict(value, (v) => v <= bound, times(value));
  const rows = [
    '| variant | held against | B written/event ≤ 1.5× floor | FerretDB CPU/event ≤ 1.5× floor | events/s ≥ 0.5× floor | ≥ 1,000 events/s |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results.filter((result) => result.kind === 'worker' && result.ratePerSecond === null)) {
    const floor = floorOf(results, r);
    const rate = ratio(r.throughput, floor?.throughput);
    // A chained run also against the floor without the chain: what the chain costs the store, in the same figure.
    const unchainedFloor = chained(r) ? results.find((result) => result.kind === 'floor' && !chained(result)) : undefined;
    const againstUnchained = (value: number, of: (floor: VariantResult) => number) =>
      unchainedFloor === undefined ? '' : ` (${times(ratio(value, of(unchainedFloor)))} the unchained floor)`;
    rows.push(
      [
        `| ${variantName(r)}`,
        floor?.label ?? '–',
        `${atMost(ratio(r.mongoPerEvent.bytesWritten, floor?.mongoPerEvent.bytesWritten), 1.5)}${againstUnchained(r.mongoPerEvent.bytesWritten, (f) => f.mongoPerEvent.bytesWritten)}`,
        `${atMost(ratio(r.cpuPerEvent.ferretdb, floor?.cpuPerEvent.ferretdb), 1.5)}${againstUnchained(r.cpuPerEvent.ferretdb, (f) => f.cpuPerEvent.ferretdb)}`,
        verdict(rate, (v) => v >= 0.5, times(rate)),
        `${verdict(r.throughput, (v) => v >= 1_000, num(r.throughput))} |`,
      ].join(' | '),
    );
  }
  return rows.join('\n');
}

/** The side-by-side table: the worker, the naive baseline and the write floor, each figure with its ratio to the latter two. */
export function comparisonTable(results: readonly VariantResult[]): string {
  const naive = results.find((result) => result.kind === 'naive' && result.ratePerSecond === null);
  const rows = [
    '| variant | events | events/s (×naive / ×floor) | p50 ms | p99 ms (×naive) | peak RSS MB (×naive / ×floor) | Redis B per suspended (×naive / ×floor) | correctness |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const limit = floorOf(results, r);
    rows.push(
      [
        `| ${variantName(r)}`,
        num(r.events),
        withRatios(r.throughput, naive?.throughput ?? null, limit?.throughput ?? null),
        num(r.latency?.p50Ms),
        // A paced run's latency is not comparable with a backlog's: no ratio for it.
        r.latency === null
          ? '–'
          : `${num(r.latency.p99Ms)} (${r.ratePerSecond === null ? times(ratio(r.latency.p99Ms, naive?.latency?.p99Ms)) : '–'})`,
        withRatios(mb(r.peakRssBytes), mb(naive?.peakRssBytes ?? null), mb(limit?.peakRssBytes ?? null)),
        withRatios(r.redisBytesPerSuspended, naive?.redisBytesPerSuspended ?? null, limit?.redisBytesPerSuspended ?? null),
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

/**
 * What each variant's largest process was made of (bench/memory.ts): RSS and V8's heap before it started consuming,
 * and at its highest RSS. RSS beyond heap total + external is the runtime's own (code, malloc, stacks).
 */
export function memoryTable(results: readonly VariantResult[]): string {
  const rows = [
    '| variant | peak RSS MB (VmHWM) | idle RSS MB | idle heap used / total MB | at peak: RSS MB | heap used / total MB | external (array buffers) MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const m = r.memory;
    const pair = (a: number, b: number) => `${num(mb(a))} / ${num(mb(b))}`;
    rows.push(
      m === null
        ? `| ${variantName(r)} | ${num(mb(r.peakRssBytes))} | – | – | – | – | – |`
        : `| ${variantName(r)} | ${num(mb(r.peakRssBytes))} | ${num(mb(m.idle.rss))} | ${pair(m.idle.heapUsed, m.idle.heapTotal)} | ${num(mb(m.atPeakRss.rss))} | ${pair(m.atPeakRss.heapUsed, m.atPeakRss.heapTotal)} | ${num(mb(m.atPeakRss.external))} (${num(mb(m.atPeakRss.arrayBuffers))}) |`,
    );
  }
  return rows.join('\n');
}
