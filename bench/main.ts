import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { benchRuntime, buildChildren, childNodeFlags, outputDir, repoRoot } from './child';
import { generateMix, mixSummary, type MixOptions } from './event-mix';
import { stackPids } from './process-cpu';
import { comparisonTable, memoryTable, storeWorkTable, sweepTable, targetsTable } from './report';
import { renderChart } from './svg-chart';
import { loadStack } from './stack-env';
import { runVariant, type VariantKind, type VariantResult, type VariantSpec } from './variant';

/**
 * `npm run bench [-- --large] [-- --sweep]`: on the same stack and log, the worker catching up a backlog and consuming
 * while the log is produced, the naive baseline, and the write floor (with and without the audit chain); the worker again
 * at half and a quarter of its measured rate; with
 * --large, the worker catching up with 100,000 subscriptions already stored; with --sweep, batch sizes and worker
 * counts. See docs/PERFORMANCE.md.
 */
function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const sweep = process.argv.includes('--sweep') || process.env.BENCH_SWEEP === '1';
  const only = process.argv
    .find((arg) => arg.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const large = process.argv.includes('--large');
  const events = intEnv('BENCH_EVENTS', 20_000);
  const subscriptions = intEnv('BENCH_SUBSCRIPTIONS', Math.round(events / 5));
  const preloaded = intEnv('BENCH_PRELOAD', 100_000);
  const sweepEvents = intEnv('BENCH_SWEEP_EVENTS', 2_000);
  const partitions = intEnv('BENCH_PARTITIONS', 12);
  const halfSeconds = intEnv('BENCH_HALF_SECONDS', 60);
  const seed = intEnv('BENCH_SEED', 6);
  const timeoutMs = intEnv('BENCH_TIMEOUT_S', 1_500) * 1000;
  const keep = process.env.BENCH_KEEP === '1';
  const stack = loadStack();
  const runtime = benchRuntime();
  if (runtime === 'compiled') {
    log('compiling the children (tsconfig.bench.json)');
    buildChildren();
  }
  // Before any variant: every one charges the stack servers' CPU, and cannot without their pids.
  stackPids();
  const startedAt = new Date();
  const mix: MixOptions = { seed, events, subscriptions, prefix: 's' };
  const log100k = generateMix(mix);
  log(`${events} events over ${new Set(log100k.map((event) => event.key)).size} subscriptions; ${JSON.stringify(mixSummary(log100k))}`);

  const results: VariantResult[] = [];
  const run = async (kind: VariantKind, label: string, overrides: Partial<VariantSpec> = {}) => {
    if (only !== undefined && !only.includes(label)) return undefined;
    log(`${label}: starting`);
    const spec: VariantSpec = { label, kind, mix, events: log100k, workers: 1, partitions, env: {}, timeoutMs, keep, ...overrides };
    let result: VariantResult;
    try {
      result = await runVariant(spec, stack, log).catch(async (error: unknown) => {
        // A broker started moments ago may refuse a new topic's partitions for a few seconds: one retry, then give up.
        if (!(error instanceof Error) || !error.message.includes('does not host this topic-partition')) throw error;
        log(`${label}: ${error.message}; retrying in 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        return await runVariant(spec, stack, log);
      });
    } catch (error) {
      // One broken variant (a hung server, a crashed child) must not lose the others' figures.
      log(`${label}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
      return undefined;
    }
    results.push(result);
    log(
      `${label}: ${Math.round(result.throughput)} events/s, p99 ${Math.round(result.latency?.p99Ms ?? NaN)} ms, ` +
        `correctness ${result.correctness.pass ? 'pass' : 'FAIL'}${result.correctness.examples.length > 0 ? `: ${result.correctness.examples.slice(0, 3).join('; ')}` : ''}`,
    );
    return result;
  };

  // BENCH_WORKER_ENV (JSON) adds settings to every worker run, for trying one knob: '{"CONSUMER_PARTITIONS_CONCURRENTLY":"8"}'.
  const tuned = JSON.parse(process.env.BENCH_WORKER_ENV ?? '{}') as Record<string, string>;
  const worker = await run('worker', 'worker-catch-up', { env: tuned, catchUp: true });
  // The same catch-up with the audit hash chain off (issue 19): what linking every record costs, beside it in one run.
  await run('worker', 'worker-catch-up-unchained', { env: { ...tuned, AUDIT_CHAIN: 'false' }, catchUp: true });
  await run('worker', 'worker-live', { env: tuned });
  await run('naive', 'naive', { catchUp: true });
  // The floor with the audit chain (the writes the policy needs since issue 19) and without, each the baseline of the
  // worker runs with the same setting.
  await run('floor', 'floor');
  await run('floor', 'floor-unchained', { env: { AUDIT_CHAIN: 'false' } });
  if (large) await run('worker', 'worker-catch-up-large', { env: tuned, catchUp: true, preload: preloaded });
  if (worker !== undefined) {
    // Paced at a fraction of the measured maximum, for long enough to reach a steady state. Half: where the p99 < 250 ms
    // target is set. A quarter: where the store has headroom, what is left of the latency is the worker's own.
    const paced = [
      { label: 'worker-half-rate', fraction: 2, seed: seed + 1, prefix: 'h' },
      { label: 'worker-quarter-rate', fraction: 4, seed: seed + 3, prefix: 'q' },
    ];
    for (const { label, fraction, ...pacedMix } of paced) {
      const rate = Math.max(1, Math.round(worker.throughput / fraction));
      const mix: MixOptions = { ...pacedMix, events: Math.min(events, rate * halfSeconds) };
      await run('worker', label, { mix, events: generateMix(mix), ratePerSecond: rate, env: tuned });
    }
  }
  const sweepResults: VariantResult[] = [];
  if (sweep) {
    const sweepMix: MixOptions = { seed: seed + 2, events: sweepEvents, prefix: 'w' };
    const sweepLog = generateMix(sweepMix);
    const common = { mix: sweepMix, events: sweepLog };
    for (const batch of [50, 200, 500, 1000]) {
      const result = await run('worker', `batch-${batch}`, { ...common, env: { ...tuned, CONSUMER_BATCH_SIZE: String(batch) } });
      if (result !== undefined) sweepResults.push(result);
    }
    for (const workers of [1, 2, 3]) {
      const result = await run('worker', `workers-${workers}`, { ...common, workers, env: tuned });
      if (result !== undefined) sweepResults.push(result);
    }
  }

  const main = results.filter((result) => !sweepResults.includes(result));
  const table = [comparisonTable(main), storeWorkTable(main), memoryTable(main), targetsTable(main)].join('\n\n');
  const sweeps = sweepResults.length > 0 ? sweepTable(sweepResults) : '';
  fs.mkdirSync(outputDir, { recursive: true });
  const flags = childNodeFlags().join(' ');
  const machine = `${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}; children: ${runtime}${flags === '' ? '' : ` ${flags}`}, Node ${process.version}`;
  fs.writeFileSync(
    path.join(outputDir, 'results.json'),
    `${JSON.stringify({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine, events, sweepEvents, partitions, seed, results }, null, 2)}\n`,
  );
  fs.writeFileSync(
    path.join(outputDir, 'results.md'),
    `# npm run bench, ${startedAt.toISOString().slice(0, 16)}Z\n\n${events} events, ${partitions} partitions, seed ${seed}; ${machine}\n\n${table}\n${sweeps === '' ? '' : `\n${sweeps}\n`}`,
  );
  const batches = sweepResults.filter((result) => result.label.startsWith('batch-'));
  const workerCounts = sweepResults.filter((result) => result.label.startsWith('workers-'));
  if (batches.length > 0 || workerCounts.length > 0) {
    const svg = renderChart(
      [
        {
          title: 'Throughput vs CONSUMER_BATCH_SIZE',
          xLabel: 'CONSUMER_BATCH_SIZE (1 worker)',
          points: batches.map((r) => ({ x: Number(r.settings.CONSUMER_BATCH_SIZE), y: r.throughput, pass: r.correctness.pass })),
        },
        {
          title: 'Throughput vs worker processes',
          xLabel: `worker processes (batch 500, ${partitions} partitions)`,
          points: workerCounts.map((r) => ({ x: r.workers, y: r.throughput, pass: r.correctness.pass })),
        },
      ],
      `npm run bench -- --sweep, ${sweepEvents} events per point, ${startedAt.toISOString().slice(0, 16)}Z, ${machine}`,
    );
    const chart = path.join(repoRoot, 'docs', 'perf', 'throughput.svg');
    fs.mkdirSync(path.dirname(chart), { recursive: true });
    fs.writeFileSync(chart, svg);
    log(`chart written to ${path.relative(repoRoot, chart)}`);
  }
  console.log(`\n${table}\n${sweeps === '' ? '' : `\n${sweeps}\n`}`);
  log(`results in ${path.relative(repoRoot, path.join(outputDir, 'results.json'))} and results.md; ${machine}`);
  if (results.some((result) => !result.correctness.pass)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
