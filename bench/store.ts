import { Redis } from 'ioredis';
import mongoose from 'mongoose';

import { pendingEffectsKey } from '../src/commit/pending-effects';
import { eventFingerprint, type Subscription } from '../src/domain';
import { AUDIT } from '../src/storage/audit.repository';
import { SUBSCRIPTIONS, subscriptionDocument, type SubscriptionDocument } from '../src/storage/subscription.repository';
import { aSubscription } from '../test/support/factories';
import { sizeSummary, type SizeSummary } from './stats';

type StoredState = Pick<Subscription, 'status' | 'holds' | 'deletion'>;

/**
 * Subscriptions as a variant left them (preloaded ones, `p-…`, left out), and how many still have effects owed: marked
 * in the pending-effects hash (src/commit/pending-effects.ts).
 */
export async function readStates(
  uri: string,
  redisUrl: string,
  queuePrefix: string,
): Promise<{ states: Map<string, StoredState>; pendingOutboxes: number }> {
  const connection = await mongoose.createConnection(uri).asPromise();
  const redis = new Redis(redisUrl);
  try {
    const collection = connection.collection<StoredState & { _id: string }>('subscriptions');
    const docs = await collection.find({}, { projection: { status: 1, holds: 1, deletion: 1 } }).toArray();
    const states = new Map(
      docs
        .filter((doc) => !doc._id.startsWith(PRELOAD_PREFIX))
        .map((doc) => [doc._id, { status: doc.status, holds: doc.holds, deletion: doc.deletion }]),
    );
    return { states, pendingOutboxes: await redis.hlen(pendingEffectsKey(queuePrefix, connection.name)) };
  } finally {
    redis.disconnect();
    await connection.close();
  }
}

export const PRELOAD_PREFIX = 'p-';

/** Stores `count` active subscriptions (ids `p-0`…) before a run: the store a worker meets after months in production. */
export async function preload(uri: string, count: number): Promise<void> {
  if (count === 0) return;
  const connection = await mongoose.createConnection(uri).asPromise();
  try {
    const collection = connection.collection<SubscriptionDocument>('subscriptions');
    for (let start = 0; start < count; start += 10_000) {
      const docs = Array.from({ length: Math.min(10_000, count - start) }, (_, i): SubscriptionDocument => {
        const subscriptionId = `${PRELOAD_PREFIX}${start + i}`;
        return subscriptionDocument({ state: aSubscriptionState(subscriptionId), expectedVersion: 0, outbox: [] }, 'preload');
      });
      await collection.insertMany(docs, { ordered: false });
    }
  } finally {
    await connection.close();
  }
}

/** An active subscription with a few months of history, as factories build it. */
function aSubscriptionState(subscriptionId: string): Subscription {
  return aSubscription({
    subscriptionId,
    customerId: `cust-${subscriptionId}`,
    tenantId: 'tenant-bench',
    recentEvents: Array.from({ length: 16 }, (_, n) => eventFingerprint(`${subscriptionId}.old${n}`)),
  });
}

/**
 * BSON sizes of the documents a variant left, whole (no projection), as the driver's `bson` measures them: its
 * subscriptions (preloaded ones left out) and its audit records.
 */
export async function storedSizes(uri: string): Promise<{ subscriptions: SizeSummary; audit: SizeSummary }> {
  const connection = await mongoose.createConnection(uri).asPromise();
  const sizesOf = async (collection: string, skip: (id: unknown) => boolean): Promise<SizeSummary> => {
    const sizes: number[] = [];
    for await (const doc of connection.collection(collection).find({}, { batchSize: 1_000 }))
      if (!skip(doc._id)) sizes.push(mongoose.mongo.BSON.calculateObjectSize(doc));
    return sizeSummary(sizes);
  };
  try {
    return {
      subscriptions: await sizesOf(SUBSCRIPTIONS, (id) => typeof id === 'string' && id.startsWith(PRELOAD_PREFIX)),
      audit: await sizesOf(AUDIT, () => false),
    };
  } finally {
    await connection.close();
  }
}

export async function dropDatabase(uri: string): Promise<void> {
  const connection = await mongoose.createConnection(uri).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}

/** Timer job ids waiting in the queue (delayed or due), read from BullMQ's own sorted set and list. */
export async function timerJobIds(redisUrl: string, prefix: string, queue: string): Promise<string[]> {
  const redis = new Redis(redisUrl);
  try {
    const base = `${prefix}:${queue}`;
    const [delayed, waiting, prioritized] = await Promise.all([
      redis.zrange(`${base}:delayed`, 0, -1),
      redis.lrange(`${base}:wait`, 0, -1),
      redis.zrange(`${base}:prioritized`, 0, -1),
    ]);
    return [...delayed, ...waiting, ...prioritized].filter((id) => /^[dr]\.\d+\./.test(id));
  } finally {
    redis.disconnect();
  }
}

export async function usedMemory(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const info = await redis.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    redis.disconnect();
  }
}

/** Removes every key of one variant's queue (its own prefix), so the next variant starts from a clean Redis. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
