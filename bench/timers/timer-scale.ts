import { randomUUID } from 'node:crypto';

import { Queue } from 'bullmq';
import type { Connection } from 'mongoose';

import { decide, DEFAULT_POLICY_SETTINGS, policyFrom, type Subscription } from '../../src/domain';
import { createLogger } from '../../src/logging/logger';
import { reconcile, type ReconcileReport } from '../../src/use-cases/reconcile';
import { deletionJobId, timerJob } from '../../src/queue/timer-jobs';
import { TimerQueue } from '../../src/queue/timer-queue';
import { SubscriptionRepository } from '../../src/storage/subscription.repository';
import { batches, subscriptionId } from './ids';
import type { PrivateRedis } from './private-redis';
import { cancelEffect, scheduleEffect } from './timer-effects';

export interface ScaleResult {
  readonly subscriptions: number;
  readonly seedMongoSeconds: number;
  readonly scheduleSeconds: number;
  readonly redisBytesPerSubscription: number;
  readonly cancels: number;
  readonly cancelSeconds: number;
  /** The same number of cancellations, one awaited `queue.remove` after another. */
  readonly cancelBaselineSeconds: number;
  readonly reconcileSeconds: number;
  readonly reconcileReport: ReconcileReport;
  readonly plantedDrift: { readonly lost: number; readonly orphans: number };
  /** The floor under the reconciler: the same scan of MongoDB with nothing else done (timed over FLOOR_SAMPLE, scaled). */
  readonly scanSeconds: number;
}

const policy = policyFrom(DEFAULT_POLICY_SETTINGS);
/** The floor is timed over this many subscriptions and scaled: a second full scan would double the run. */
const FLOOR_SAMPLE = 100_000;
const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;

function suspendedState(id: string, now: number): Subscription {
  const decision = decide(
    null,
    {
      eventId: randomUUID(),
      occurredAt: now,
      subscriptionId: id,
      customerId: `cust-${id}`,
      tenantId: 'tenant-bench',
      actor: { kind: 'system', id: 'bench' },
      instruction: { type: 'suspend-requested', requestedBy: 'bench' },
    },
    policy,
    now,
  );
  if (decision.state === null) throw new Error('a suspension yields a state');
  return decision.state;
}

/** A million suspended subscriptions: MongoDB documents and timer jobs, then cancellations and a reconciliation over all. */
export async function measureScale(
  connection: Connection,
  redis: PrivateRedis,
  subscriptions: number,
  cancels: number,
  log: (line: string) => void,
): Promise<ScaleResult> {
  await redis.client.flushall();
  await redis.client.config('SET', 'hash-max-listpack-value', '256');
  const repository = new SubscriptionRepository(connection);
  await repository.ensureIndexes();
  const queue = new Queue('timers', { connection: redis.client, prefix: 'be' });
  await queue.waitUntilReady();
  const now = Date.now();
  const timers = new TimerQueue(queue, () => now);
  const id = (index: number): string => subscriptionId(index, 12);

  let started = process.hrtime.bigint();
  for (const { start, end } of batches(subscriptions, 1_000)) {
    const writes = Array.from({ length: end - start }, (_, index) => ({
      state: suspendedState(id(start + index), now),
      expectedVersion: 0,
      outbox: [],
    }));
    await repository.write(writes, 'seed');
    if (end % 100_000 === 0) log(`  seeded ${end} subscriptions in MongoDB (${seconds(started).toFixed(0)} s)`);
  }
  const seedMongoSeconds = seconds(started);

  await timers.schedule([scheduleEffect('warm-up', now)]);
  const before = await redis.usedMemory();
  started = process.hrtime.bigint();
  for (const { start, end } of batches(subscriptions, 1_000)) {
    await timers.schedule(Array.from({ length: end - start }, (_, index) => scheduleEffect(id(start + index), now)));
  }
  const scheduleSeconds = seconds(started);
  const redisBytesPerSubscription = Math.round(((await redis.usedMemory()) - before) / subscriptions);
  await queue.remove(deletionJobId('warm-up', 1));
  log(`  scheduled ${subscriptions} timers in ${scheduleSeconds.toFixed(1)} s; ${redisBytesPerSubscription} B per subscription`);

  // Cancellations: reactivations of the last 2 × `cancels` subscriptions, half ours, half the one-by-one baseline.
  const cancelled = Array.from({ length: cancels }, (_, index) => cancelEffect(scheduleEffect(id(subscriptions - 1 - index), now)));
  started = process.hrtime.bigint();
  await timers.cancel(cancelled);
  const cancelSeconds = seconds(started);
  started = process.hrtime.bigint();
  for (let index = 0; index < cancels; index += 1) await queue.remove(deletionJobId(id(subscriptions - 1 - cancels - index), 1));
  const cancelBaselineSeconds = seconds(started);
  log(`  cancelled ${cancels} in ${cancelSeconds.toFixed(2)} s (one by one: ${cancelBaselineSeconds.toFixed(2)} s)`);

  // Drift for the reconciler to find: jobs Redis lost, and jobs for subscriptions that do not exist.
  const lost = 1_000;
  const untouched = subscriptions - 2 * cancels;
  for (let index = 0; index < lost; index += 1) await queue.remove(deletionJobId(id(Math.floor((index * untouched) / lost)), 1));
  // Added two hours ago, as a real orphan would have been: the reconciler leaves jobs younger than its run alone.
  const twoHoursAgo = now - 7_200_000;
  await queue.addBulk(
    Array.from({ length: 1_000 }, (_, index) => {
      const job = timerJob(deletionJobId(`ghost-${index}`, 1), now + 3_600_000, twoHoursAgo);
      return { ...job, opts: { ...job.opts, timestamp: twoHoursAgo } };
    }),
  );
  started = process.hrtime.bigint();
  const reconcileReport = await reconcile(
    { subscriptions: repository, queue, clock: Date.now, logger: createLogger('silent') },
    {
      pageSize: 1_000,
      onProgress: (phase, scanned) => {
        if (scanned % Number(process.env.BENCH_PROGRESS_EVERY ?? 100_000) === 0)
          log(`  reconcile: ${phase} ${scanned} (${seconds(started).toFixed(0)} s)`);
      },
    },
  );
  const reconcileSeconds = seconds(started);
  log(`  reconciled ${subscriptions} subscriptions in ${reconcileSeconds.toFixed(1)} s`);

  started = process.hrtime.bigint();
  let scanned = 0;
  for await (const page of repository.scanWithTimers(1_000)) {
    scanned += page.length;
    if (scanned >= FLOOR_SAMPLE) break;
  }
  const scanSeconds = (seconds(started) * subscriptions) / scanned;
  log(`  scanned ${scanned} subscriptions with nothing else: ${scanSeconds.toFixed(1)} s per ${subscriptions}`);
  await queue.close();
  return {
    subscriptions,
    seedMongoSeconds,
    scheduleSeconds,
    redisBytesPerSubscription,
    cancels,
    cancelSeconds,
    cancelBaselineSeconds,
    reconcileSeconds,
    reconcileReport,
    plantedDrift: { lost, orphans: 1_000 },
    scanSeconds,
  };
}
