import { memoryTable, storeWorkTable, targetsTable } from '../../../bench/report';
import type { VariantResult } from '../../../bench/variant';

const sizes = { count: 2, p50: 800, p90: 900, p99: 900, max: 900 };

function result(
  label: string,
  kind: VariantResult['kind'],
  throughput: number,
  bytesWritten: number,
  ferretdb: number,
  settings: Record<string, string> = {},
): VariantResult {
  return {
    label,
    kind,
    events: 1000,
    handled: 1000,
    complete: true,
    workers: 1,
    settings,
    ratePerSecond: null,
    elapsedMs: 1000,
    throughput,
    latency: null,
    peakRssBytes: null,
    memory: null,
    redisBytes: 0,
    suspended: 0,
    redisBytesPerSuspended: null,
    correctness: { pass: true, subscriptions: 2, stateDifferences: 0, jobDifferences: 0, pendingOutboxes: 0, examples: [] },
    catchUp: true,
    preload: 0,
    mongoPerEvent: { commands: { insert: 0.02, update: 0.001 }, statements: { insert: 1.2 }, bytesWritten, bytesRead: 0 },
    cpuPerEvent: { variant: 0.0005, ferretdb, kafka: 0.0003, redis: 0.0001 },
    cpuBefore: { variant: 0, ferretdb: 0.05, kafka: 0.01, redis: 0 },
    cpuWindowMs: 4000,
    storedSizes: { subscriptions: sizes, audit: { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN } },
  };
}

describe('the store-work report', () => {
  const floor = result('floor', 'floor', 2000, 500, 0.0004);

  it('puts bytes written and FerretDB CPU per event beside the floor’s of the same run', () => {
    const row = storeWorkTable([result('worker-catch-up', 'worker', 300, 750, 0.0016), floor]).split('\n')[2] ?? '';
    expect(row).toContain('| 750 (1.50×) |');
    expect(row).toContain('| 1.60 (4.00×) |');
    // 0.05 s/s for 4 s over 1,000 events: 0.2 ms per event.
    expect(row).toContain('| 0.20 |');
    expect(row).toContain('insert 0.02 |');
    expect(row).not.toContain('update');
    expect(row).toContain('| 2: 800 / 900 / 900 / 900 | none |');
  });

  it('checks each worker run against the issue’s targets', () => {
    const table = targetsTable([result('worker-catch-up', 'worker', 1200, 750, 0.0016), result('naive', 'naive', 100, 900, 0.004), floor]);
    const rows = table.split('\n').slice(2);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toBe('| worker-catch-up | floor | 1.50× met | 4.00× **not met** | 0.60× met | 1,200 met |');
  });

  it('holds each run against the floor of its own audit-chain setting, a chained one also against the unchained floor', () => {
    const off = { AUDIT_CHAIN: 'false' };
    const results = [
      result('worker-catch-up', 'worker', 1200, 900, 0.0012),
      result('worker-catch-up-unchained', 'worker', 1000, 600, 0.0006, off),
      floor,
      result('floor-unchained', 'floor', 2500, 400, 0.0003, off),
    ];
    const [chained, unchained] = targetsTable(results).split('\n').slice(2);
    expect(chained).toBe(
      '| worker-catch-up | floor | 1.80× **not met** (2.25× the unchained floor) | 3.00× **not met** (4.00× the unchained floor) | 0.60× met | 1,200 met |',
    );
    expect(unchained).toBe(
      '| worker-catch-up-unchained | floor-unchained | 1.50× met | 2.00× **not met** | 0.40× **not met** | 1,000 met |',
    );
    const storeRows = storeWorkTable(results).split('\n').slice(2);
    expect(storeRows[1]).toContain('| 600 (1.50×) |');
    expect(storeRows[3]).toContain('| 400 (1.00×) |');
  });

  it('shows no ratio without a floor in the run', () => {
    expect(targetsTable([result('worker-catch-up', 'worker', 900, 750, 0.0016)]).split('\n')[2]).toBe(
      '| worker-catch-up | – | – | – | – | 900 **not met** |',
    );
  });

  it('shows what the largest process was made of, idle and at its highest RSS, in MB', () => {
    const MB = 1024 * 1024;
    const reading = (rss: number, heapUsed: number, heapTotal: number, external: number) => ({
      rss: rss * MB,
      heapUsed: heapUsed * MB,
      heapTotal: heapTotal * MB,
      external: external * MB,
      arrayBuffers: (external - 3) * MB,
    });
    const measured = {
      ...result('worker-catch-up', 'worker', 900, 750, 0.0016),
      peakRssBytes: 210 * MB,
      memory: { idle: reading(124, 49, 51, 21), atPeakRss: reading(203, 68, 81, 29), max: reading(203, 99, 104, 33), samples: 300 },
    };
    const rows = memoryTable([measured, floor]).split('\n').slice(2);
    expect(rows[0]).toBe('| worker-catch-up | 210 | 124 | 49 / 51 | 203 | 68 / 81 | 29 (26) |');
    expect(rows[1]).toBe('| floor | – | – | – | – | – | – |');
  });
});
