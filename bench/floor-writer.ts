import { createHash, randomUUID } from 'node:crypto';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Partitioners } from 'kafkajs';
import mongoose from 'mongoose';

import { loadConfig } from '../src/config/config';
import { decide, type Effect, type LifecycleEvent, type Subscription } from '../src/domain';
import { LifecyclePublisher } from '../src/kafka/lifecycle-publisher';
import { TimerQueue } from '../src/queue/timer-queue';
import type { AuditDocument } from '../src/storage/audit.repository';
import { stableId } from '../src/storage/ids';
import { detectDialect } from '../src/storage/store-dialect';
import { subscriptionDocument, type SubscriptionDocument } from '../src/storage/subscription.repository';
import { generateMix, type BenchEvent, type MixOptions } from './event-mix';
import { benchKafka } from './kafka-io';
import { watchMemory } from './memory';
import { watchCommands } from './mongo-work';
import { onFinishRequest, sendToParent } from './protocol';

/** The writes one slice needs, decided before the clock starts. */
interface SliceWrites {
  readonly inserts: SubscriptionDocument[];
  readonly replaces: SubscriptionDocument[];
  readonly audit: AuditDocument[];
  readonly schedules: Extract<Effect, { kind: 'schedule-deletion' }>[];
  readonly cancels: Extract<Effect, { kind: 'cancel-deletion' }>[];
  readonly events: { id: string; event: LifecycleEvent }[];
  readonly count: number;
}

function partitionOf(key: string, partitions: number): number {
  return createHash('md5').update(key).digest().readUInt32BE(0) % partitions;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * Per partition (keys spread as the producer spreads them), slices of CONSUMER_BATCH_SIZE in log order; per slice, what
 * the policy must write: one state write per subscription it changed, its audit records, its timers, its events.
 */
function planSlices(
  events: readonly BenchEvent[],
  partitions: number,
  sliceSize: number,
  policy: ReturnType<typeof loadConfig>['policy'],
): SliceWrites[][] {
  const byPartition: BenchEvent[][] = Array.from({ length: partitions }, () => []);
  for (const event of events) byPartition[partitionOf(event.key, partitions)]?.push(event);
  const states = new Map<string, { state: Subscription; version: number }>();
  const token = randomUUID();
  const now = Date.now();
  return byPartition.map((log) =>
    chunks(log, sliceSize).map((slice) => {
      const writes: SliceWrites = { inserts: [], replaces: [], audit: [], schedules: [], cancels: [], events: [], count: slice.length };
      const touched = new Map<string, boolean>();
      slice.forEach(({ command }, index) => {
        const stored = states.get(command.subscriptionId);
        const decision = decide(stored?.state ?? null, command, policy, now);
        writes.audit.push({ _id: stableId('floor', command.eventId, index, randomUUID()), ...decision.audit });
        if (decision.state === null || !decision.changed) return;
        if (!touched.has(command.subscriptionId)) touched.set(command.subscriptionId, stored === undefined);
        states.set(command.subscriptionId, { state: decision.state, version: (stored?.version ?? 0) + 1 });
        decision.effects.forEach((effect, n) => {
          if (effect.kind === 'schedule-deletion') writes.schedules.push(effect);
          else if (effect.kind === 'cancel-deletion') writes.cancels.push(effect);
          else writes.events.push({ id: stableId('floor', command.eventId, n), event: effect.event });
        });
      });
      for (const [id, isNew] of touched) {
        const current = states.get(id);
        if (current === undefined) continue;
        const doc = subscriptionDocument({ state: current.state, expectedVersion: current.version - 1, outbox: [] }, token);
        (isNew ? writes.inserts : writes.replaces).push(doc);
      }
      return writes;
    }),
  );
}

/**
 * The write floor: the writes the policy needs for the log, issued straight through the driver, BullMQ and a producer,
 * with no consumer, no reads and no decisions on the clock. What the worker does beyond this is its own overhead.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const mix = JSON.parse(process.env.BENCH_MIX ?? '{}') as MixOptions;
  const partitions = Number(process.env.BENCH_PARTITIONS ?? '12');
  const plan = planSlices(generateMix(mix), partitions, config.CONSUMER_BATCH_SIZE, config.policy);
  const connection = await mongoose.createConnection(config.MONGODB_URI).asPromise();
  const mongoWork = watchCommands(connection);
  const { bulkChunk } = await detectDialect(connection, config);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(config.TIMER_QUEUE, { connection: redis, prefix: config.QUEUE_PREFIX });
  const timers = new TimerQueue(queue, Date.now);
  const producer = benchKafka(config.KAFKA_BROKERS.join(',')).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const publisher = new LifecyclePublisher(producer, config.TOPIC_LIFECYCLE);
  const subscriptions = connection.collection<SubscriptionDocument>('subscriptions');
  const audit = connection.collection<AuditDocument>('audit_records');
  const memory = watchMemory();
  await sendToParent({ kind: 'ready' });

  const startedAt = Date.now();
  let done = 0;
  let lastDoneAt = startedAt;
  const writeSlice = async (slice: SliceWrites): Promise<void> => {
    if (slice.inserts.length > 0) await subscriptions.insertMany(slice.inserts, { ordered: false });
    for (const chunk of chunks(slice.replaces, bulkChunk))
      await subscriptions.bulkWrite(
        chunk.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc } })),
        { ordered: false },
      );
    if (slice.audit.length > 0) await audit.insertMany(slice.audit, { ordered: false });
    await timers.schedule(slice.schedules);
    await timers.cancel(slice.cancels);
    await publisher.publish(slice.events);
    done += slice.count;
    lastDoneAt = Date.now();
    await sendToParent({ kind: 'progress', count: done, lastDoneAt });
  };
  // As the worker: CONSUMER_PARTITIONS_CONCURRENTLY partitions at once, each partition's slices in order.
  let next = 0;
  await Promise.all(
    Array.from({ length: config.CONSUMER_PARTITIONS_CONCURRENTLY }, async () => {
      for (let p = next++; p < plan.length; p = next++) for (const slice of plan[p] ?? []) await writeSlice(slice);
    }),
  );
  onFinishRequest(async () => {
    await sendToParent({ kind: 'result', latenciesMs: [], startedAt, lastDoneAt, count: done, mongo: mongoWork(), memory: memory.stop() });
    await producer.disconnect();
    await queue.close();
    redis.disconnect();
    await connection.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
