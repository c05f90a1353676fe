import { createHash, randomUUID } from 'node:crypto';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Partitioners } from 'kafkajs';
import mongoose from 'mongoose';

import { loadConfig } from '../src/config/config';
import { decide, linkRecords, type ChainHead, type Effect, type LifecycleEvent, type Subscription } from '../src/domain';
import { LifecyclePublisher } from '../src/kafka/lifecycle-publisher';
import { sha256Bytes } from '../src/proof/digest';
import { TimerQueue } from '../src/queue/timer-queue';
import { AUDIT_HEADS, type AuditDocument } from '../src/storage/audit.repository';
import { stableId } from '../src/storage/ids';
import { detectDialect } from '../src/storage/store-dialect';
import { subscriptionDocument, subscriptionUpdate, type SubscriptionDocument } from '../src/storage/subscription.repository';
import { generateMix, type BenchEvent, type MixOptions } from './event-mix';
import { benchKafka } from './kafka-io';
import { watchMemory } from './memory';
import { watchCommands } from './mongo-work';
import { onFinishRequest, sendToParent } from './protocol';

/** The writes one slice needs, decided before the clock starts. */
interface SliceWrites {
  readonly inserts: SubscriptionDocument[];
  /** A stored subscription's write: its changed fields, as the worker sends them (SubscriptionRepository.write). */
  readonly updates: { _id: string; update: NonNullable<ReturnType<typeof subscriptionUpdate>> }[];
  readonly audit: AuditDocument[];
  readonly schedules: Extract<Effect, { kind: 'schedule-deletion' }>[];
  readonly cancels: Extract<Effect, { kind: 'cancel-deletion' }>[];
  readonly events: { id: string; event: LifecycleEvent }[];
  /** AUDIT_CHAIN: the last link of each subscription not stored whose records came with no write (audit_heads). */
  readonly heads: Map<string, ChainHead>;
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
 * the policy must write: one state write per subscription it changed, its audit records, its timers, its events. With
 * the audit chain (issue 19, AUDIT_CHAIN) the policy also needs each record linked and each chain's head stored: a
 * stored subscription's head rides its state write, so one that got only no-change events is written too; the head
 * of one never stored goes to audit_heads.
 */
function planSlices(
  events: readonly BenchEvent[],
  partitions: number,
  sliceSize: number,
  config: Pick<ReturnType<typeof loadConfig>, 'policy' | 'AUDIT_CHAIN'>,
): SliceWrites[][] {
  const { policy, AUDIT_CHAIN: chained } = config;
  const unstoredHeads = new Map<string, ChainHead>();
  const byPartition: BenchEvent[][] = Array.from({ length: partitions }, () => []);
  for (const event of events) byPartition[partitionOf(event.key, partitions)]?.push(event);
  const states = new Map<string, { state: Subscription; version: number }>();
  // The document last written for each subscription: what its next write sends its changes against.
  const written = new Map<string, SubscriptionDocument>();
  const token = randomUUID();
  const now = Date.now();
  return byPartition.map((log) =>
    chunks(log, sliceSize).map((slice) => {
      const writes: SliceWrites = {
        inserts: [],
        updates: [],
        audit: [],
        schedules: [],
        cancels: [],
        events: [],
        heads: new Map(),
        count: slice.length,
      };
      const touched = new Set<string>();
      slice.forEach(({ command }, index) => {
        const id = command.subscriptionId;
        const stored = states.get(id);
        const decision = decide(stored?.state ?? null, command, policy, now);
        const state = decision.changed && decision.state !== null ? decision.state : (stored?.state ?? null);
        let record: AuditDocument = { _id: stableId('floor', command.eventId, index, randomUUID()), ...decision.audit };
        let head: ChainHead | null = null;
        if (chained) {
          const linked = linkRecords([record], state?.auditHead ?? unstoredHeads.get(id) ?? null, sha256Bytes);
          record = linked.records[0] ?? record;
          head = linked.head;
        }
        writes.audit.push(record);
        if (state === null) {
          if (head !== null) writes.heads.set(id, head);
          if (head !== null) unstoredHeads.set(id, head);
          return;
        }
        // A stored subscription's head rides a state write, even when nothing else changed (as the worker's does).
        if (!decision.changed && !(chained && stored !== undefined)) return;
        touched.add(id);
        states.set(id, { state: head === null ? state : { ...state, auditHead: head }, version: (stored?.version ?? 0) + 1 });
        if (!decision.changed) return;
        decision.effects.forEach((effect, n) => {
          if (effect.kind === 'schedule-deletion') writes.schedules.push(effect);
          else if (effect.kind === 'cancel-deletion') writes.cancels.push(effect);
          else writes.events.push({ id: stableId('floor', command.eventId, n), event: effect.event });
        });
      });
      for (const id of touched) {
        const current = states.get(id);
        if (current === undefined) continue;
        const base = written.get(id);
        const write = { state: current.state, expectedVersion: current.version - 1, outbox: [], ...(base === undefined ? {} : { base }) };
        const doc = subscriptionDocument(write, token);
        written.set(id, doc);
        const update = base === undefined ? null : subscriptionUpdate(write, token);
        if (base === undefined) writes.inserts.push(doc);
        else if (update !== null) writes.updates.push({ _id: id, update });
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
  const plan = planSlices(generateMix(mix), partitions, config.CONSUMER_BATCH_SIZE, config);
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
  const heads = connection.collection<{ _id: string; seq: number; hash: string }>(AUDIT_HEADS);
  const memory = watchMemory();
  await sendToParent({ kind: 'ready' });

  const startedAt = Date.now();
  let done = 0;
  let lastDoneAt = startedAt;
  const writeSlice = async (slice: SliceWrites): Promise<void> => {
    if (slice.inserts.length > 0) await subscriptions.insertMany(slice.inserts, { ordered: false });
    for (const chunk of chunks(slice.updates, bulkChunk))
      await subscriptions.bulkWrite(
        chunk.map(({ _id, update }) => ({ updateOne: { filter: { _id }, update } })),
        { ordered: false },
      );
    if (slice.audit.length > 0) await audit.insertMany(slice.audit, { ordered: false });
    if (slice.heads.size > 0)
      await heads.bulkWrite(
        [...slice.heads].map(([_id, head]) => ({
          replaceOne: { filter: { _id }, replacement: { seq: head.seq, hash: head.hash }, upsert: true },
        })),
        { ordered: true },
      );
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
