import fs from 'node:fs';
import path from 'node:path';

import mongoose from 'mongoose';

import { connectionFor, stackPorts } from '../../tools/stack/layout';
import { startPrivateRedis } from './private-redis';
import { measureMemory, VARIANTS, type MemoryResult } from './redis-memory';
import { measureScale } from './timer-scale';

/**
 * `npm run bench:timers`: Redis memory per suspended subscription (this design against the usual BullMQ one, same run),
 * then a million suspended subscriptions: scheduling, 10,000 cancellations and a full reconciliation, each against
 * the naive way. Redis is a private redis-server so INFO memory sees only this; MongoDB is the local stack's.
 */
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const SAMPLE = env('BENCH_TIMER_MEMORY_SAMPLE', 100_000);
const SUBSCRIPTIONS = env('BENCH_TIMER_SUBSCRIPTIONS', 1_000_000);
const CANCELS = env('BENCH_TIMER_CANCELS', 10_000);
const OUT = path.resolve(__dirname, '../../test-output/bench/timers.json');

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function memoryTable(results: readonly MemoryResult[]): string {
  const baseline = results[0]?.bytesPerSubscription ?? Number.NaN;
  const rows = results.map(
    (r) =>
      `| ${r.variant} | ${r.jobsPerSubscription} | **${r.bytesPerSubscription}** | ${(r.bytesPerSubscription / baseline).toFixed(2)} | ${r.jobHashBytes} (${r.jobHashEncoding}, longest field ${r.longestJobField} B) |`,
  );
  return [
    `| variant (${SAMPLE.toLocaleString('en')} suspended subscriptions) | jobs each | Redis bytes per subscription | × usual | one job's hash |`,
    '|---|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const redis = await startPrivateRedis();
  const uri = new URL(process.env.MONGODB_URI ?? connectionFor(stackPorts()).MONGODB_URI);
  uri.pathname = `/bench-timers-${Date.now()}`;
  const connection = await mongoose.createConnection(uri.toString(), { serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    log(`Redis memory per suspended subscription, ${SAMPLE} subscriptions per variant:`);
    const memory: MemoryResult[] = [];
    for (const variant of VARIANTS) {
      memory.push(await measureMemory(redis, variant, SAMPLE));
      log(`  ${variant.name}: ${memory.at(-1)?.bytesPerSubscription} B`);
    }
    log(`\nScale: ${SUBSCRIPTIONS} suspended subscriptions`);
    const scale = await measureScale(connection, redis, SUBSCRIPTIONS, CANCELS, log);
    const expectedMissing = scale.plantedDrift.lost + 2 * scale.cancels;
    const reconcileCorrect =
      scale.reconcileReport.missing === expectedMissing && scale.reconcileReport.orphans === scale.plantedDrift.orphans;
    const rate = (count: number, secs: number): string => `${Math.round(count / secs).toLocaleString('en')}/s`;
    const summary = [
      memoryTable(memory),
      '',
      `| ${SUBSCRIPTIONS.toLocaleString('en')} suspended subscriptions | this service | naive baseline, same run | ratio |`,
      '|---|---:|---:|---:|',
      `| Redis bytes per subscription | ${scale.redisBytesPerSubscription} | ${memory[0]?.bytesPerSubscription ?? '?'} (usual BullMQ, sample above) | ${((memory[0]?.bytesPerSubscription ?? Number.NaN) / scale.redisBytesPerSubscription).toFixed(1)}× less |`,
      `| schedule all timers | ${scale.scheduleSeconds.toFixed(1)} s (${rate(scale.subscriptions, scale.scheduleSeconds)}) | | |`,
      `| cancel ${scale.cancels.toLocaleString('en')} (reactivations) | ${scale.cancelSeconds.toFixed(2)} s | ${scale.cancelBaselineSeconds.toFixed(2)} s (one awaited remove after another) | ${(scale.cancelBaselineSeconds / scale.cancelSeconds).toFixed(1)}× faster |`,
      `| reconcile every subscription | ${scale.reconcileSeconds.toFixed(1)} s (${rate(scale.subscriptions, scale.reconcileSeconds)}) | ${scale.scanSeconds.toFixed(1)} s: the floor, scanning MongoDB with nothing else | ${(scale.reconcileSeconds / scale.scanSeconds).toFixed(2)}× the floor |`,
      `| reconciler repairs | ${scale.reconcileReport.missing} missing, ${scale.reconcileReport.orphans} orphans removed | planted: ${expectedMissing} missing, ${scale.plantedDrift.orphans} orphans | ${reconcileCorrect ? 'correct' : 'WRONG'} |`,
      `| (seeding MongoDB, for scale) | ${scale.seedMongoSeconds.toFixed(0)} s (${rate(scale.subscriptions, scale.seedMongoSeconds)}) | | |`,
    ].join('\n');
    log(`\n${summary}`);
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, `${JSON.stringify({ at: new Date().toISOString(), memory, scale, reconcileCorrect, summary }, null, 2)}\n`);
    log(`\nwritten to ${path.relative(process.cwd(), OUT)}`);
    if (!reconcileCorrect) process.exitCode = 1;
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
