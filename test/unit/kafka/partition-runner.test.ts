import { Writable } from 'node:stream';

import type { EachBatchPayload, Kafka } from 'kafkajs';
import { mongo } from 'mongoose';

import { AppError } from '../../../src/errors';
import type { DeadLetter, DeadLetterSink } from '../../../src/kafka/dead-letters';
import { PartitionRunner } from '../../../src/kafka/partition-runner';
import { createLogger } from '../../../src/logging/logger';
import { mongoFailure } from '../../../src/storage/mongo-errors';

/** A runner on a stand-in consumer: each `deliver()` hands it the same one-message batch, as a redelivery would. */
async function runnerFailingWith(error: unknown) {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    run: (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
      return Promise.resolve();
    },
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const letters: DeadLetter[] = [];
  const sink = { send: (sent: readonly DeadLetter[]) => Promise.resolve(void letters.push(...sent)) } as unknown as DeadLetterSink;
  const logger = createLogger('fatal', {}, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const options = { name: 'test', groupId: 'g', topics: ['t'], sliceSize: 10, partitionsConsumedConcurrently: 1 };
  const runner = new PartitionRunner(
    kafka,
    { ...options, backoffMaxMs: 1, sessionTimeoutMs: 30_000, isolateAfter: 2, deadLetters: sink },
    () => {
      throw error;
    },
    logger,
  );
  await runner.start();
  const payload = {
    batch: {
      topic: 't',
      partition: 0,
      messages: [{ offset: '7', key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '0', headers: {} }],
    },
    isRunning: () => true,
    isStale: () => false,
    pause: () => () => undefined,
    resolveOffset: () => undefined,
    commitOffsetsIfNecessary: () => Promise.resolve(),
    heartbeat: () => Promise.resolve(),
  } as unknown as EachBatchPayload;
  const deliver = async (times: number) => {
    for (let attempt = 0; attempt < times; attempt++) await eachBatch?.(payload);
  };
  return { runner, letters, deliver };
}

describe('PartitionRunner failure handling', () => {
  it('retries a retriable AppError for ever: an outage never dead-letters a message', async () => {
    const { runner, letters, deliver } = await runnerFailingWith(
      mongoFailure(new mongo.MongoNetworkError('socket closed'), { op: 'load' }),
    );
    await deliver(10);
    expect(letters).toEqual([]);
    await runner.stop();
  });

  it('dead-letters a message that fails alone with an error no adapter classified (a bug) as PROCESSING_FAILED', async () => {
    // Even one whose name and message look like an outage: only an adapter's code makes an error retriable.
    const lookalike = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoNetworkError', code: 'ECONNREFUSED' });
    const { runner, letters, deliver } = await runnerFailingWith(lookalike);
    // isolateAfter is 2: the second failure of the lone message parks it (the stand-in redelivers it after that too).
    await deliver(2);
    expect(letters.map((letter) => [letter.message.offset, letter.error.code])).toEqual([['7', 'PROCESSING_FAILED']]);
    await runner.stop();
  });

  it('treats a non-retriable AppError like a bug', async () => {
    const { runner, letters, deliver } = await runnerFailingWith(new AppError('INTERNAL', 'query rejected'));
    await deliver(2);
    expect(letters).toHaveLength(1);
    await runner.stop();
  });
});
