import { Queue, Worker, type Job } from 'bullmq';
import { Partitioners, type Consumer, type Kafka } from 'kafkajs';
import { Schema } from 'mongoose';

import { createTopics, deleteTopics, testKafka } from '../support/kafka.helper';
import { connectTestDatabase, type TestDatabase } from '../support/mongo.helper';
import { testRedis } from '../support/redis.helper';
import { uniqueName } from '../support/unique-name';

/** Resolves once `count` values have been pushed; lets a test wait for deliveries without sleeping. */
function collector<T>(count: number): { readonly values: T[]; readonly push: (value: T) => void; readonly done: Promise<void> } {
  const values: T[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    values,
    push: (value) => {
      values.push(value);
      if (values.length >= count) resolve();
    },
    done,
  };
}

describe('kafka (kafkajs)', () => {
  let kafka: Kafka;
  const topic = uniqueName('topic');
  const groupId = uniqueName('group');
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, [topic]);
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
    await deleteTopics(kafka, [topic]);
  });

  async function produce(...values: string[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic, messages: values.map((value) => ({ value })) });
    } finally {
      await producer.disconnect();
    }
  }

  /** Consumes from the start of whatever the group committed, committing each message after it is handled. */
  async function consumeInGroup(count: number): Promise<{ consumer: Consumer; received: string[]; done: Promise<void> }> {
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    const seen = collector<string>(count);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: from, partition, message }) => {
        await consumer.commitOffsets([{ topic: from, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        seen.push(message.value?.toString() ?? '');
      },
    });
    return { consumer, received: seen.values, done: seen.done };
  }

  it('delivers to a consumer group and resumes a restarted consumer after the committed offset', async () => {
    await produce('first', 'second');
    const before = await consumeInGroup(2);
    await before.done;
    await before.consumer.disconnect();
    expect(before.received).toEqual(['first', 'second']);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(offsets).toEqual([{ topic, partitions: [expect.objectContaining({ partition: 0, offset: '2' })] }]);

    // One partition keeps order: had the commit been lost, 'first' would arrive before 'third'.
    await produce('third');
    const after = await consumeInGroup(1);
    await after.done;
    await after.consumer.disconnect();
    expect(after.received).toEqual(['third']);
  });
});

describe('mongodb (mongoose)', () => {
  interface Subscription {
    customerId: string;
    plan: string;
    changes: number;
  }
  // Path options as object literals trip no-unsafe-class-instance-assignment (mongoose types SchemaTypeOptions as a
  // class), so the unique index is declared on the schema instead.
  const subscriptionSchema = new Schema<Subscription>({ customerId: String, plan: String, changes: Number });
  subscriptionSchema.index({ customerId: 1 }, { unique: true });
  let database: TestDatabase;

  beforeAll(async () => {
    database = await connectTestDatabase('smoke');
  });

  afterAll(async () => {
    await database.drop();
  });

  it('upserts through findOneAndUpdate and rejects a duplicate of a unique key with code 11000', async () => {
    const Subscriptions = database.connection.model<Subscription>('Subscription', subscriptionSchema);
    await Subscriptions.init();
    const indexes = await Subscriptions.listIndexes();
    expect(indexes).toContainEqual(expect.objectContaining({ key: { customerId: 1 }, unique: true }));

    const upsert = (plan: string): Promise<Subscription | null> =>
      Subscriptions.findOneAndUpdate(
        { customerId: 'c-1' },
        { $set: { plan }, $inc: { changes: 1 } },
        { upsert: true, returnDocument: 'after' },
      ).lean();
    expect(await upsert('basic')).toMatchObject({ customerId: 'c-1', plan: 'basic', changes: 1 });
    expect(await upsert('pro')).toMatchObject({ customerId: 'c-1', plan: 'pro', changes: 2 });
    expect(await Subscriptions.countDocuments()).toBe(1);

    await expect(Subscriptions.create({ customerId: 'c-1', plan: 'basic' })).rejects.toMatchObject({ code: 11000 });
    expect(await Subscriptions.countDocuments()).toBe(1);
  });
});

describe('redis (bullmq)', () => {
  it('runs a delayed job once it is due and never runs one removed while delayed', async () => {
    const connection = testRedis();
    const queueName = uniqueName('queue');
    const queue = new Queue(queueName, { connection });
    // Delayed jobs are promoted by workers, so both stay delayed until the worker runs.
    const processed = collector<Job>(1);
    const worker = new Worker(
      queueName,
      (job) => {
        processed.push(job);
        return Promise.resolve();
      },
      { connection, autorun: false },
    );
    try {
      const removed = await queue.add('reminder', { n: 1 }, { delay: 500 });
      const kept = await queue.add('reminder', { n: 2 }, { delay: 1_000 });
      expect(await removed.getState()).toBe('delayed');
      expect(await kept.getState()).toBe('delayed');
      expect(await queue.remove(removed.id!)).toBe(1);

      const running = worker.run();
      await processed.done;
      await worker.close();
      await running;

      // The removed job was due first, so had it survived it would have been processed before the kept one.
      expect(processed.values.map((job) => job.id)).toEqual([kept.id]);
      expect(await queue.getJob(removed.id!)).toBeUndefined();
      const finished = await queue.getJob(kept.id!);
      expect(await finished?.getState()).toBe('completed');
      expect(finished!.processedOn! - finished!.timestamp).toBeGreaterThanOrEqual(1_000);
      expect(await queue.getJobCounts('delayed', 'wait', 'active', 'completed')).toEqual({ delayed: 0, wait: 0, active: 0, completed: 1 });
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    }
  });
});
