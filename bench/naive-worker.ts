import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import mongoose from 'mongoose';

import type { EventConsumer } from '../consumers/consumer';
import { consumers } from '../consumers/routes';
import { loadConfig } from '../src/config/config';
import { decide, parseDuration, type Effect, type Subscription } from '../src/domain';
import { decodeMessage } from '../src/use-cases/decode-message';
import { TimerQueue } from '../src/queue/timer-queue';
import { watchMemory } from './memory';
import { watchCommands } from './mongo-work';
import { LatencyRecorder, onFinishRequest, sendToParent } from './protocol';

/**
 * What most teams write first: kafkajs `eachMessage`, then per message one findOne, the same pure `decide`, one
 * findOneAndUpdate and one queue call for its timer. No batching, no outbox, no audit trail, no lifecycle events.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const recorder = new LatencyRecorder((message) => void sendToParent(message));
  const connection = await mongoose.createConnection(config.MONGODB_URI).asPromise();
  const mongoWork = watchCommands(connection);
  const subscriptions = connection.collection<Subscription & { _id: string }>('subscriptions');
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(config.TIMER_QUEUE, { connection: redis, prefix: config.QUEUE_PREFIX });
  const timers = new TimerQueue(queue, Date.now);
  const routes = new Map<string, EventConsumer>(consumers.map((consumer) => [config[consumer.topic], consumer]));
  const decoder = { routes, maxMessageBytes: config.MAX_MESSAGE_BYTES, maxClockSkewMs: parseDuration(config.MAX_CLOCK_SKEW) };

  const kafka = new Kafka({ clientId: 'naive-worker', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: config.KAFKA_GROUP_ID });
  await consumer.connect();
  // Idle is before run: with a backlog waiting, the consumer is busy from its first fetch.
  const memory = watchMemory();
  await consumer.subscribe({ topics: [...routes.keys()], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const decoded = decodeMessage({ topic, partition, ...message, headers: message.headers ?? {} }, decoder, Date.now());
      if (decoded.ok) {
        const { command } = decoded;
        const stored = await subscriptions.findOne({ _id: command.subscriptionId }, { projection: { _id: 0 } });
        const decision = decide(stored, command, config.policy, Date.now());
        if (decision.changed && decision.state !== null) {
          await subscriptions.findOneAndUpdate({ _id: command.subscriptionId }, { $set: decision.state }, { upsert: true });
        }
        await applyTimers(timers, decision.effects);
      }
      recorder.record(Number(message.timestamp));
    },
  });
  recorder.start();
  onFinishRequest(async () => {
    await sendToParent({ ...recorder.result(), mongo: mongoWork(), memory: memory.stop() });
    await consumer.disconnect();
    await queue.close();
    redis.disconnect();
    await connection.close();
  });
  await sendToParent({ kind: 'ready' });
}

async function applyTimers(timers: TimerQueue, effects: readonly Effect[]): Promise<void> {
  for (const effect of effects) {
    if (effect.kind === 'schedule-deletion') await timers.schedule([effect]);
    else if (effect.kind === 'cancel-deletion') await timers.cancel([effect]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
