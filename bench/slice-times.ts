/**
 * How long the worker's slice calls took, from a worker log written at debug level ("slice applied" lines carry `ms`,
 * the call from its first read to its last effect, and the partitions and outcomes it carried):
 *
 *   BENCH_LOG_LEVEL=debug npm run bench -- --only=worker-catch-up,worker-quarter-rate
 *   npx tsx bench/slice-times.ts test-output/bench/worker-quarter-rate-0.log
 *
 * A paced run's latency is the wait for a call plus the call: this says which of the two it is.
 */
import { readFileSync } from 'node:fs';

import { sizeSummary, type SizeSummary } from './stats';

export interface SliceTimes {
  readonly calls: number;
  readonly ms: SizeSummary;
  readonly messagesPerCall: number;
  readonly partitionsPerCall: number;
}

interface SliceLine {
  readonly msg?: unknown;
  readonly ms?: unknown;
  readonly partitions?: unknown;
  readonly tally?: unknown;
}

/** Reads the "slice applied" lines of an NDJSON log; other lines, and lines that are not JSON, are skipped. */
export function sliceTimes(log: string): SliceTimes {
  const ms: number[] = [];
  let messages = 0;
  let partitions = 0;
  for (const line of log.split('\n')) {
    if (!line.includes('"slice applied"')) continue;
    let parsed: SliceLine;
    try {
      parsed = JSON.parse(line) as SliceLine;
    } catch {
      continue;
    }
    if (parsed.msg !== 'slice applied' || typeof parsed.ms !== 'number') continue;
    ms.push(parsed.ms);
    if (Array.isArray(parsed.partitions)) partitions += parsed.partitions.length;
    if (typeof parsed.tally === 'object' && parsed.tally !== null) {
      for (const count of Object.values(parsed.tally)) if (typeof count === 'number') messages += count;
    }
  }
  const calls = ms.length;
  return {
    calls,
    ms: sizeSummary(ms),
    messagesPerCall: calls === 0 ? NaN : messages / calls,
    partitionsPerCall: calls === 0 ? NaN : partitions / calls,
  };
}

function main(paths: readonly string[]): void {
  if (paths.length === 0) throw new Error('usage: tsx bench/slice-times.ts <worker log>...');
  for (const path of paths) {
    const t = sliceTimes(readFileSync(path, 'utf8'));
    process.stdout.write(
      `${JSON.stringify(path)}: ${t.calls} calls, ms p50 ${t.ms.p50} / p90 ${t.ms.p90} / p99 ${t.ms.p99} / max ${t.ms.max}, ` +
        `${t.messagesPerCall.toFixed(1)} messages and ${t.partitionsPerCall.toFixed(1)} partitions per call\n`,
    );
  }
}

if (require.main === module) main(process.argv.slice(2));
