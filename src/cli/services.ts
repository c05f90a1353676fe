import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Partitioners, type Producer } from 'kafkajs';
import type { Connection } from 'mongoose';

import type { Settings } from '../config/config';
import { createKafka, createProducer } from '../kafka/kafka-client';
import { KafkaOffsets } from '../kafka/offsets';
import type { KafkaSecuritySettings } from '../config/kafka-security-settings';
import { kafkaAuthFailure, kafkaSecurity } from '../kafka/kafka-security';
import { redactUrl, type Logger } from '../logging/logger';
import type { RedisSettings } from '../config/redis-settings';
import { connectRedisFailFast, redisConnection } from '../queue/redis';
import { isAppError } from '../errors';
import { KAFKA_CLIENT_RETRY } from '../retry-policies';
import { connectMongo } from '../storage/mongo';
import { Teardown } from '../teardown';
import { openStores, type StoreSettings, type Stores } from '../storage/stores';
import { CliError } from './exit-codes';
import { redactText } from './output';

/** The driver's own words: an adapter's AppError says which call failed, its cause why. */
function reasonOf(error: unknown): string {
  const reason = isAppError(error) && error.cause instanceof Error ? error.cause : error;
  return redactText(reason instanceof Error ? reason.message : String(reason));
}

/**
 * The connections one command opens, each only when asked for, and all closed when the command ends, so the
 * process exits on its own. A service that does not answer is reported as `unavailable` (exit 69), naming it.
 */
export class Services {
  private readonly teardown = new Teardown();
  private mongoConnection: Promise<Connection> | undefined;
  private redisClient: Promise<Redis> | undefined;

  constructor(private readonly logger: Logger) {}

  async mongo(uri: string): Promise<Connection> {
    this.mongoConnection ??= connectMongo(uri).then(
      (connection) => {
        this.teardown.add('mongodb', () => connection.close());
        return connection;
      },
      (error: unknown) => {
        const kind = isAppError(error) && error.code === 'CONFIG_INVALID' ? 'config' : 'unavailable';
        throw new CliError(kind, `MongoDB at ${redactUrl(uri)} did not answer: ${reasonOf(error)}`, { cause: error });
      },
    );
    return await this.mongoConnection;
  }

  /** The repositories, built as the worker builds them (src/storage/stores.ts). */
  async stores(settings: Pick<Settings, 'MONGODB_URI'> & StoreSettings): Promise<Stores> {
    return await openStores(await this.mongo(settings.MONGODB_URI), settings);
  }

  /** One Redis connection for the command, failing fast instead of waiting for Redis to come back. */
  async redis(settings: RedisSettings): Promise<Redis> {
    this.redisClient ??= Promise.resolve()
      .then(() => connectRedisFailFast(redisConnection(settings), 'billing-enforcer-cli'))
      .then(
        (client) => {
          this.teardown.add('redis', () => client.disconnect());
          return client;
        },
        (error: unknown) => {
          // A setting Redis refused, or one we cannot use: the message names it (exit 78, as for the worker).
          if (isAppError(error) && error.code === 'CONFIG_INVALID') throw new CliError('config', error.message, { cause: error });
          throw new CliError('unavailable', `Redis at ${redactUrl(settings.REDIS_URL)} did not answer: ${reasonOf(error)}`, {
            cause: error,
          });
        },
      );
    return await this.redisClient;
  }

  /** The timer queue, on the command's Redis connection. */
  async queue(settings: RedisSettings & Pick<Settings, 'QUEUE_PREFIX' | 'TIMER_QUEUE'>): Promise<Queue> {
    const queue = new Queue(settings.TIMER_QUEUE, { connection: await this.redis(settings), prefix: settings.QUEUE_PREFIX });
    // Connection failures reach the command through the call that hit them; unheard, this event would crash the process.
    queue.on('error', (error) => {
      this.logger.debug({ err: error }, 'queue connection error');
    });
    this.teardown.add('queue', () => queue.close());
    return queue;
  }

  /** A Kafka producer that gives up on an absent broker within seconds. */
  async producer(
    settings: Pick<Settings, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID' | 'KAFKA_PRODUCER_COMPRESSION'> & KafkaSecuritySettings,
  ): Promise<Producer> {
    const kafka = createKafka({
      clientId: `${settings.KAFKA_CLIENT_ID}-cli`,
      brokers: settings.KAFKA_BROKERS,
      logger: this.logger,
      retry: KAFKA_CLIENT_RETRY.cli,
      security: kafkaSecurity(settings),
    });
    const producer = createProducer(kafka, settings.KAFKA_PRODUCER_COMPRESSION, {
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await producer.connect();
    } catch (error) {
      const refused = kafkaAuthFailure(error, settings);
      if (refused !== undefined) throw new CliError('config', refused.message, { cause: refused });
      throw new CliError('unavailable', `Kafka at ${settings.KAFKA_BROKERS.join(',')} did not answer: ${reasonOf(error)}`, {
        cause: error,
      });
    }
    this.teardown.add('kafka', () => producer.disconnect());
    return producer;
  }

  /**
   * Read-only offset questions (committed offsets, lag) on an admin connection that gives up on an absent broker
   * within seconds. It connects at the first question; a broker that does not answer then is reported as unavailable.
   */
  offsets(settings: Pick<Settings, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'> & KafkaSecuritySettings): KafkaOffsets {
    const kafka = createKafka({
      clientId: `${settings.KAFKA_CLIENT_ID}-cli`,
      brokers: settings.KAFKA_BROKERS,
      logger: this.logger,
      retry: { initialRetryTime: 300, retries: 2, maxRetryTime: 2_000 },
      security: kafkaSecurity(settings),
    });
    const offsets = new KafkaOffsets(kafka);
    this.teardown.add('kafka admin', () => offsets.close());
    return offsets;
  }

  /** Closes what was opened, newest first; a failure to close is logged, never allowed to hide the command's own outcome. */
  async close(): Promise<void> {
    if (this.mongoConnection !== undefined) await this.mongoConnection.catch(() => undefined);
    if (this.redisClient !== undefined) await this.redisClient.catch(() => undefined);
    await this.teardown.close().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'closing a connection failed');
    });
  }
}
