import {
  Kafka,
  logLevel,
  type Consumer,
  type ITopicConfig,
  type LogEntry,
  type Producer,
  type ProducerConfig,
  type RetryOptions,
} from 'kafkajs';

import type { Logger } from '../logging/logger';
import { KAFKA_CLIENT_RETRY } from '../retry-policies';
import type { ProducerCompression } from '../config/kafka-compression';
import { compressionType, registerCodecs, type DecompressionBounds } from './codecs';
import { kafkaFailure } from './kafka-errors';
import type { KafkaSecurity } from './kafka-security';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs, logging through our logger. kafkajs stays behind the adapters in this folder.
 * `retry` replaces the worker's patient default (about 40 s before giving up on an absent broker), for tools that must fail fast.
 */
export function createKafka(options: {
  clientId: string;
  brokers: readonly string[];
  logger: Logger;
  retry?: RetryOptions;
  /** TLS and SASL, from `kafkaSecurity(settings)`. */
  security?: KafkaSecurity;
  /** Decompression bounds for every codec (src/kafka/codecs.ts); process-wide, as kafkajs keeps its codecs. */
  decompression?: DecompressionBounds;
}): Kafka {
  registerCodecs(options.decompression ?? DEFAULT_DECOMPRESSION);
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.security?.ssl === undefined ? {} : { ssl: options.security.ssl }),
    ...(options.security?.sasl === undefined ? {} : { sasl: options.security.sasl }),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: options.retry ?? KAFKA_CLIENT_RETRY.client,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, label, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'info']({ kafkajs: label, ...rest }, message);
      },
  });
}

/** The settings' defaults, for tools that build a client without the worker's configuration. */
const DEFAULT_DECOMPRESSION: DecompressionBounds = { maxBatchBytes: 16 * 1_048_576, maxFetchBytes: 32 * 1_048_576 };

/**
 * A producer whose every send is compressed with `compression` (KAFKA_PRODUCER_COMPRESSION), so no call site has to
 * remember to: the lifecycle publisher, the dead-letter sink and dead-letter replay all send through one.
 */
export function createProducer(kafka: Kafka, compression: ProducerCompression, config: ProducerConfig = {}): Producer {
  const producer = kafka.producer(config);
  const codec = compressionType(compression);
  return { ...producer, send: (record) => producer.send({ compression: codec, ...record }) };
}

/** Creates the topics that do not exist yet; existing topics are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: readonly ITopicConfig[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic.topic));
      if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  } catch (error) {
    throw kafkaFailure(error, { op: 'ensure topics' });
  }
}

/**
 * A consumer-group member as every consumer of the worker runs one: heartbeats a third of the session timeout apart
 * (at most 3 s), and reconnection retried for as long as the process lives (the caller's loop owns giving up).
 */
export function groupConsumer(kafka: Kafka, options: { groupId: string; sessionTimeoutMs: number; maxWaitTimeInMs: number }): Consumer {
  return kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3)),
    maxWaitTimeInMs: options.maxWaitTimeInMs,
    retry: KAFKA_CLIENT_RETRY.groupConsumer,
  });
}
