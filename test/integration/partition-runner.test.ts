import { Writable } from 'node:stream';

import type { Kafka, Producer } from 'kafkajs';
import { mongo } from 'mongoose';

import { DLQ_HEADERS } from '../../src/contract/headers';
import { AppError } from '../../src/errors';
import { DeadLetterSink } from '../../src/kafka/dead-letters';
import { PartitionRunner } from '../../src/kafka/partition-runner';
import type { SliceHandler } from '../../src/kafka/slice-handler';
import { createLogger } from '../../src/logging/logger';
import { mongoFailure } from '../../src/storage/mongo-errors';
import { createTopics, deleteTopics, testKafka } from '../support/kafka.helper';
import { uniqueName } from '../support/unique-name';
import { eventually } from '../support/worker-harness';

const quiet = createLogger('fatal', {}, new Writable({ write: (_chunk, _encoding, done) => done() }));

/** How many messages a topic holds (its one partition's high watermark). */
async function sizeOf(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [end] = await admin.fetchTopicOffsets(topic);
    return Number(end?.high ?? 0);
  } finally {
    await admin.disconnect();
  }
}

/** Waits for a dead letter on the topic and reads them all: the failed message's offset and its code. */
async function lettersOn(kafka: Kafka, topic: string): Promise<string[][]> {
  const count = await eventually(async () => {
    const size = await sizeOf(kafka, topic);
    expect(size).toBeGreaterThan(0);
    return size;
  });
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const letters: string[][] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const header = (name: string) => message.headers?.[name]?.toString() ?? '';
      letters.push([header(DLQ_HEADERS.offset), header(DLQ_HEADERS.code)]);
      return Promise.resolve();
    },
  });
  await eventually(() => expect(letters).toHaveLength(count));
  await consumer.disconnect();
  return letters;
}

/**
 * The one runner on the real broker, with a handler that fails `failures` times with `error` and then applies: which
 * errors are waited out (the partition paused, the slice redelivered) and which park the message as a dead letter.
 */
describe('the partition runner, on the real broker', () => {
  const kafka = testKafka();
  let producer: Producer;
  const topics: string[] = [];

  beforeAll(async () => {
    producer = kafka.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await deleteTopics(kafka, topics).catch(() => undefined);
  });

  /** One runner on `topic`, one commit in flight, quick retries, isolating after two failures. */
  function runnerOn(topic: string, dlq: string, sliceSize: number, handle: SliceHandler): PartitionRunner {
    const options = {
      name: 'test',
      groupId: uniqueName('runner-group'),
      topics: [topic],
      sliceSize,
      commitsInFlight: 1,
      backoffMaxMs: 50,
      sessionTimeoutMs: 30_000,
      isolateAfter: 2,
      deadLetters: new DeadLetterSink(producer, dlq, Date.now),
    };
    return new PartitionRunner(kafka, options, handle, quiet);
  }

  async function run(error: Error, failures: number) {
    const topic = uniqueName('runner');
    const dlq = uniqueName('runner-dlq');
    topics.push(topic, dlq);
    await createTopics(kafka, [topic, dlq]);
    await producer.send({ topic, messages: [{ key: 'sub-1', value: '{}' }] });
    let calls = 0;
    const applied: string[] = [];
    const runner = runnerOn(topic, dlq, 10, (messages) => {
      calls += 1;
      if (calls <= failures) return Promise.reject(error);
      applied.push(...messages.map((message) => message.offset));
      return Promise.resolve({ deadLetters: [] });
    });
    await runner.start();
    return { runner, dlq, applied, calls: () => calls };
  }

  it('waits out a retriable code (an outage an adapter classified) and dead-letters nothing', async () => {
    const outage = mongoFailure(new mongo.MongoNetworkError('socket closed'), { op: 'load' });
    const { runner, dlq, applied, calls } = await run(outage, 5);
    await eventually(() => expect(applied).toEqual(['0']));
    expect(calls()).toBe(6);
    await runner.stop();
    expect(await sizeOf(kafka, dlq)).toBe(0);
  });

  it('parks a message that keeps failing with an error no adapter classified (a bug), even one that looks like an outage', async () => {
    const lookalike = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoNetworkError', code: 'ECONNREFUSED' });
    const { runner, dlq, applied } = await run(lookalike, Number.POSITIVE_INFINITY);
    expect(await lettersOn(kafka, dlq)).toEqual([['0', 'PROCESSING_FAILED']]);
    expect(applied).toEqual([]);
    await runner.stop();
  });

  it('isolates one poison message in the middle of a slice: only it is dead-lettered, every other message is applied once, in order', async () => {
    const topic = uniqueName('runner-poison');
    const dlq = uniqueName('runner-poison-dlq');
    topics.push(topic, dlq);
    await createTopics(kafka, [topic, dlq]);
    const offsets = Array.from({ length: 21 }, (_, n) => String(n));
    const poison = '10';
    // One send, one record batch: the runner gets all 21 in one slice.
    await producer.send({ topic, messages: offsets.map((offset) => ({ key: `sub-${offset}`, value: `{"n":${offset}}` })) });
    const applied: string[] = [];
    const sliceSizes: number[] = [];
    const runner = runnerOn(topic, dlq, 50, (messages) => {
      sliceSizes.push(messages.length);
      // A handler with a bug that one message triggers: the whole slice fails, nothing of it is applied.
      if (messages.some((message) => message.offset === poison)) return Promise.reject(new TypeError('cannot read n of undefined'));
      applied.push(...messages.map((message) => message.offset));
      return Promise.resolve({ deadLetters: [] });
    });
    await runner.start();
    try {
      expect(await lettersOn(kafka, dlq)).toEqual([[poison, 'PROCESSING_FAILED']]);
      await eventually(() => expect(applied).toEqual(offsets.filter((offset) => offset !== poison)));
      // The slice failed whole (twice) before the runner went one message at a time to find the poison one.
      expect(sliceSizes.slice(0, 2)).toEqual([21, 21]);
    } finally {
      await runner.stop();
    }
    expect(await sizeOf(kafka, dlq)).toBe(1);
  });

  /** Six partitions, one message each, produced before the runner starts: one fetch hands all six over at once. */
  async function grouped(handler: (messages: readonly { partition: number; offset: string }[]) => Promise<void>) {
    const topic = uniqueName('runner-grouped');
    const dlq = uniqueName('runner-grouped-dlq');
    topics.push(topic, dlq);
    await createTopics(kafka, [topic], 6);
    await createTopics(kafka, [dlq]);
    await producer.send({ topic, messages: [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, key: `sub-${partition}`, value: '{}' })) });
    const runner = runnerOn(topic, dlq, 50, async (messages) => {
      await handler(messages);
      return { deadLetters: [] };
    });
    await runner.start();
    return { runner, dlq };
  }

  /** Holds the first call a while, so the other partitions' slices queue behind it (one commit in flight). */
  function holdingFirst() {
    let first = true;
    return async () => {
      if (!first) return;
      first = false;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    };
  }

  it('hands slices of several partitions that wait together to one call, each message once', async () => {
    const calls: number[][] = [];
    const hold = holdingFirst();
    const { runner, dlq } = await grouped(async (messages) => {
      await hold();
      calls.push(messages.map((message) => message.partition));
    });
    try {
      await eventually(() => expect(calls.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]));
      // One partition per call would be a commit per message; queued together, they share one.
      expect(Math.max(...calls.map((partitions) => new Set(partitions).size))).toBeGreaterThan(1);
    } finally {
      await runner.stop();
    }
    expect(await sizeOf(kafka, dlq)).toBe(0);
  });

  it("never lets one partition's poison message fail another's: a failed shared call is handled again slice by slice", async () => {
    const applied: number[] = [];
    const sizes: number[] = [];
    const hold = holdingFirst();
    const { runner, dlq } = await grouped(async (messages) => {
      await hold();
      sizes.push(messages.length);
      if (messages.some((message) => message.partition === 3)) throw new TypeError('cannot read n of undefined');
      applied.push(...messages.map((message) => message.partition));
    });
    try {
      expect(await lettersOn(kafka, dlq)).toEqual([['0', 'PROCESSING_FAILED']]);
      await eventually(() => expect([...applied].sort()).toEqual([0, 1, 2, 4, 5]));
      expect(Math.max(...sizes)).toBeGreaterThan(1);
    } finally {
      await runner.stop();
    }
    expect(await sizeOf(kafka, dlq)).toBe(1);
  });

  it('treats a non-retriable AppError like a bug', async () => {
    const { runner, dlq } = await run(new AppError('INTERNAL', 'query rejected'), Number.POSITIVE_INFINITY);
    expect(await lettersOn(kafka, dlq)).toEqual([['0', 'PROCESSING_FAILED']]);
    await runner.stop();
  });
});
