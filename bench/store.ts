import { Redis } from 'ioredis';
import mongoose from 'mongoose';

import type { Subscription } from '../src/domain';

type StoredState = Pick<Subscription, 'status' | 'holds' | 'deletion'>;

/** Subscriptions as a variant left them, and how many still have effects pending in their outbox. */
export async function readStates(uri: string): Promise<{ states: Map<string, StoredState>; pendingOutboxes: number }> {
  const connection = await mongoose.createConnection(uri).asPromise();
  try {
    const collection = connection.collection<StoredState & { _id: string; outbox?: unknown[] }>('subscriptions');
    const docs = await collection.find({}, { projection: { status: 1, holds: 1, deletion: 1, outbox: 1 } }).toArray();
    const states = new Map(docs.map((doc) => [doc._id, { status: doc.status, holds: doc.holds, deletion: doc.deletion }]));
    return { states, pendingOutboxes: docs.filter((doc) => (doc.outbox?.length ?? 0) > 0).length };
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
