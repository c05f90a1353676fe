import { randomUUID } from 'node:crypto';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';

import { loadConfig } from '../src/config/config';
import { decide, scheduleEffect, type Effect, type Subscription } from '../src/domain';
import { TimerQueue } from '../src/queue/timer-queue';
import type { AuditDocument } from '../src/storage/audit.repository';
import { stableId } from '../src/storage/ids';
import type { SubscriptionDocument } from '../src/storage/subscription.repository';
import { generateMix, type MixOptions } from './event-mix';
import { onFinishRequest, sendToParent } from './protocol';

type Schedule = Extract<Effect, { kind: 'schedule-deletion' }>;

/** Runs `tasks` with at most `width` in flight: as parallel as the worker's partitions, no more. */
async function pool(tasks: readonly (() => Promise<unknown>)[], width: number): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    for (let task = tasks[next++]; task !== undefined; task = tasks[next++]) await task();
  });
  await Promise.all(lanes);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * The floor for the same work: the final state the pure domain computes from the whole log (subscriptions, one audit
 * record per message, timer jobs), written straight with bulk writes and `TimerQueue.schedule`, with no Kafka.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const mix = JSON.parse(process.env.BENCH_MIX ?? '{}') as MixOptions;
  const events = generateMix(mix);
  const connection = await mongoose.createConnection(config.MONGODB_URI).asPromise();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(config.TIMER_QUEUE, { connection: redis, prefix: config.QUEUE_PREFIX });
  const timers = new TimerQueue(queue, Date.now);
  await sendToParent({ kind: 'ready' });

  const startedAt = Date.now();
  const states = new Map<string, Subscription>();
  const audit: AuditDocument[] = [];
  for (const [index, { command }] of events.entries()) {
    const decision = decide(states.get(command.subscriptionId) ?? null, command, config.policy, Date.now());
    if (decision.state !== null) states.set(command.subscriptionId, decision.state);
    audit.push({ _id: stableId('audit', command.subscriptionId, command.eventId, decision.outcome, index), ...decision.audit });
  }
  const token = randomUUID();
  const docs: SubscriptionDocument[] = [...states.values()].map((state) => ({
    _id: state.subscriptionId,
    ...state,
    version: 1,
    outbox: [],
    writeToken: token,
  }));
  const schedules: Schedule[] = [];
  for (const state of states.values())
    if ((state.status === 'suspended' || state.status === 'cancelled') && state.deletion !== null) {
      const effect = scheduleEffect(state.subscriptionId, state.deletion);
      if (effect.kind === 'schedule-deletion') schedules.push(effect);
    }
  const subscriptions = connection.collection<SubscriptionDocument>('subscriptions');
  const auditRecords = connection.collection<AuditDocument>('audit_records');
  const phases: Record<string, number> = {};
  const timed = async (name: string, work: () => Promise<void>) => {
    const at = Date.now();
    await work();
    phases[name] = Date.now() - at;
  };
  await timed('subscriptions', () =>
    pool(
      chunks(docs, config.MONGO_BULK_CHUNK).map(
        (chunk) => () =>
          subscriptions.bulkWrite(
            chunk.map((document) => ({ insertOne: { document } })),
            { ordered: false },
          ),
      ),
      config.CONSUMER_PARTITIONS_CONCURRENTLY,
    ),
  );
  await timed('audit', () =>
    pool(
      chunks(audit, config.CONSUMER_BATCH_SIZE).map((chunk) => () => auditRecords.insertMany(chunk, { ordered: false })),
      config.CONSUMER_PARTITIONS_CONCURRENTLY,
    ),
  );
  await timed('timers', () =>
    pool(
      chunks(schedules, 500).map((chunk) => () => timers.schedule(chunk)),
      config.CONSUMER_PARTITIONS_CONCURRENTLY,
    ),
  );
  const lastDoneAt = Date.now();
  console.log(JSON.stringify({ phasesMs: phases, subscriptions: docs.length, audit: audit.length, timers: schedules.length }));
  await sendToParent({ kind: 'progress', count: events.length, lastDoneAt });
  onFinishRequest(async () => {
    await sendToParent({ kind: 'result', latenciesMs: [], startedAt, lastDoneAt, count: events.length });
    await queue.close();
    redis.disconnect();
    await connection.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
