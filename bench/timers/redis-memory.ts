import { Queue, type JobsOptions } from 'bullmq';

import { TimerQueue } from '../../src/queue/timer-queue';
import { batches, subscriptionId } from './ids';
import type { PrivateRedis } from './private-redis';
import { scheduleEffect, type ScheduleEffect } from './timer-effects';

export interface MemoryResult {
  readonly variant: string;
  readonly subscriptions: number;
  readonly jobsPerSubscription: number;
  readonly bytesPerSubscription: number;
  /** One job's hash, as MEMORY USAGE and OBJECT ENCODING report it. */
  readonly jobHashBytes: number;
  readonly jobHashEncoding: string;
  readonly longestJobField: number;
}

interface Variant {
  readonly name: string;
  readonly idLength: 12 | 36;
  readonly jobsPerSubscription: number;
  /** Redis's listpack threshold for hash values; 64 is its default. */
  readonly hashMaxListpackValue: number;
  readonly add: (queue: Queue, effects: readonly ScheduleEffect[], now: number) => Promise<void>;
}

/** The way most teams use BullMQ, and this service's first design: a job per timer, retention and retries on each job. */
const USUAL_OPTIONS = (jobId: string, runAt: number, now: number): JobsOptions => ({
  jobId,
  delay: runAt - now,
  removeOnComplete: true,
  removeOnFail: { age: 30 * 24 * 3600 },
  attempts: 12,
  backoff: { type: 'exponential', delay: 2_000 },
});

const usualJobs = async (queue: Queue, effects: readonly ScheduleEffect[], now: number): Promise<void> => {
  await queue.addBulk(
    effects.flatMap((effect) => [
      {
        name: 'data-deletion',
        data: { subscriptionId: effect.subscriptionId, generation: effect.generation },
        opts: USUAL_OPTIONS(`d.${effect.generation}.${effect.subscriptionId}`, effect.dueAt, now),
      },
      ...effect.reminders.map((reminder) => ({
        name: 'deletion-reminder',
        data: { subscriptionId: effect.subscriptionId, generation: effect.generation, offset: reminder.offset },
        opts: USUAL_OPTIONS(`r.${effect.generation}.${reminder.offset}.${effect.subscriptionId}`, reminder.at, now),
      })),
    ]),
  );
};

const thisService = async (queue: Queue, effects: readonly ScheduleEffect[], now: number): Promise<void> => {
  await new TimerQueue(queue, () => now).schedule(effects);
};

const usual = { idLength: 12, jobsPerSubscription: 4, add: usualJobs } as const;
const ours = { jobsPerSubscription: 1, add: thisService } as const;

/** Redis's default listpack limit is 64 bytes; the stack and docker-compose.yml set 256. */
export const VARIANTS: readonly Variant[] = [
  { name: 'usual BullMQ: a job per timer (deletion + 3 reminders), options on each job', hashMaxListpackValue: 64, ...usual },
  { name: 'usual BullMQ, hash-max-listpack-value 256', hashMaxListpackValue: 256, ...usual },
  { name: 'this service: one job per subscription, {jobId, delay}, empty data', idLength: 12, hashMaxListpackValue: 64, ...ours },
  { name: 'this service, hash-max-listpack-value 256 (as shipped)', idLength: 12, hashMaxListpackValue: 256, ...ours },
  { name: 'this service, 36-character (UUID) subscription ids', idLength: 36, hashMaxListpackValue: 64, ...ours },
  { name: 'this service, UUID ids, hash-max-listpack-value 256 (as shipped)', idLength: 36, hashMaxListpackValue: 256, ...ours },
];

/** Redis bytes per suspended subscription for each variant, on an otherwise empty Redis, from INFO memory. */
export async function measureMemory(redis: PrivateRedis, variant: Variant, subscriptions: number): Promise<MemoryResult> {
  await redis.client.flushall();
  await redis.client.config('SET', 'hash-max-listpack-value', String(variant.hashMaxListpackValue));
  const queue = new Queue('timers', { connection: redis.client, prefix: 'be' });
  await queue.waitUntilReady();
  const now = Date.now();
  // Queue-wide keys (meta, id counter, the events stream's first entries) exist before the first timer; keep them out.
  await variant.add(queue, [scheduleEffect('warm-up', now)], now);
  const before = await redis.usedMemory();
  for (const { start, end } of batches(subscriptions, 1_000)) {
    const effects = Array.from({ length: end - start }, (_, index) => scheduleEffect(subscriptionId(start + index, variant.idLength), now));
    await variant.add(queue, effects, now);
  }
  const after = await redis.usedMemory();
  const sampleKey = queue.toKey(`d.1.${subscriptionId(7, variant.idLength)}`);
  const fields = await redis.client.hgetall(sampleKey);
  const result: MemoryResult = {
    variant: variant.name,
    subscriptions,
    jobsPerSubscription: variant.jobsPerSubscription,
    bytesPerSubscription: Math.round((after - before) / subscriptions),
    jobHashBytes: Number(await redis.client.memory('USAGE', sampleKey)),
    jobHashEncoding: String(await redis.client.object('ENCODING', sampleKey)),
    longestJobField: Math.max(...Object.values(fields).map((value) => Buffer.byteLength(value))),
  };
  await queue.close();
  return result;
}
