import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';

import type { EventConsumer } from '../consumers/consumer';
import { consumers } from '../consumers/routes';
import { jobRegistry } from '../jobs/registry';
import type { Config } from './config/config';
import { buildCommitPath } from './commit/build-commit-path';
import type { CommitPath } from './commit/commit-path';
import { buildHttpServer } from './http/server';
import { subscriptionRoutes } from './http/subscription.routes';
import { adminRoutes } from './http/admin.routes';
import { metricsRoutes } from './http/metrics.routes';
import { opsRoutes } from './http/ops.routes';
import { dlqRoutes } from './http/dlq.routes';
import { PartitionRunner } from './kafka/partition-runner';
import { DeadLetterSink } from './kafka/dead-letters';
import { deadLetterIndexHandler } from './kafka/dead-letter-index.handler';
import { DeadLetterStore } from './ops/dead-letter-store';
import { kafkaFailure } from './kafka/kafka-errors';
import { createKafka, ensureTopics } from './kafka/kafka-client';
import { kafkaAuthFailure, kafkaSecurity } from './kafka/kafka-security';
import { KafkaOffsets } from './kafka/offsets';
import type { Logger } from './logging/logger';
import { OutboxSweeper } from './processing/outbox-sweeper';
import { processMessages, type ProcessDeps } from './processing/process-messages';
import { connectRedis } from './queue/redis';
import { failpoints } from './failpoints';
import { once, runEveryStep } from './teardown';
import { KeyedLock } from './processing/keyed-lock';
import { connectLeaseRedis, leasePrefix, SubscriptionLeases } from './processing/subscription-leases';
import { RECONCILE } from './queue/timer-jobs';
import { startTimerWorker } from './queue/timer-worker';
import { AuditRepository } from './storage/audit.repository';
import { connectMongo, isFerretDb } from './storage/mongo';
import { SubscriptionRepository } from './storage/subscription.repository';
import { parseDuration } from './domain';
import { noMetrics, type Metrics } from './metrics/metrics';
import { PrometheusMetrics } from './metrics/prometheus';
import { LagHistory } from './ops/lag-history';

/** Everything the worker is made of, wired once. Tests build it with their own config. */
export interface App {
  readonly config: Readonly<Config>;
  readonly connection: Connection;
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly queue: Queue;
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
  /** The dead-letter topic, indexed in MongoDB for search and replay. */
  readonly deadLetterStore: DeadLetterStore;
  readonly http: FastifyInstance;
  readonly processDeps: ProcessDeps;
  /** The one way state and effects are committed (src/commit). */
  readonly commits: CommitPath;
  start(options?: { consume?: boolean; timers?: boolean; http?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** How long a partition may keep failing before /readyz reports it (a dependency outage or a message that stalls it). */
const STALLED_AFTER_MS = 60_000;

/** Resolves to the check's answer, or false when it fails or takes longer than `ms`. */
async function within(ms: number, check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function pingMongo(connection: Connection): Promise<boolean> {
  try {
    await connection.db?.admin().ping();
    return connection.db !== undefined;
  } catch {
    return false;
  }
}

export async function createApp(
  config: Readonly<Config>,
  logger: Logger,
  clock: () => number = Date.now,
  metrics: Metrics = noMetrics,
): Promise<App> {
  const connection = await connectMongo(config.MONGODB_URI);
  const byIdOnly = config.MONGO_FILTER_BY_ID_ONLY === 'auto' ? await isFerretDb(connection) : config.MONGO_FILTER_BY_ID_ONLY === 'true';
  const subscriptions = new SubscriptionRepository(connection, config.MONGO_BULK_CHUNK, byIdOnly);
  const audit = new AuditRepository(connection);
  await Promise.all([subscriptions.ensureIndexes(), audit.ensureIndexes()]);
  const deadLetterStore = new DeadLetterStore(connection);
  await deadLetterStore.ensureIndexes();

  const queueRedis = connectRedis(config.REDIS_URL, 'billing-enforcer-queue');
  const workerRedis: Redis = connectRedis(config.REDIS_URL, 'billing-enforcer-worker');
  const queue = new Queue(config.TIMER_QUEUE, { connection: queueRedis, prefix: config.QUEUE_PREFIX });

  const kafka = createKafka({ clientId: config.KAFKA_CLIENT_ID, brokers: config.KAFKA_BROKERS, logger, security: kafkaSecurity(config) });
  // Refused credentials or certificates fail the start at once, with the settings to check (the first Kafka call below).
  const authFailure = (error: unknown): never => {
    throw kafkaAuthFailure(error, config) ?? kafkaFailure(error, { op: 'connect' });
  };
  const routes = new Map<string, EventConsumer>(consumers.map((consumer) => [config[consumer.topic], consumer]));
  if (config.KAFKA_CREATE_TOPICS) {
    const topic = (name: string, configEntries: { name: string; value: string }[] = []) => ({
      topic: name,
      numPartitions: config.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      configEntries,
    });
    await ensureTopics(kafka, [
      ...[...routes.keys()].map((name) => topic(name)),
      topic(config.TOPIC_LIFECYCLE),
      // Dead letters carry the original bytes plus headers, so they may be larger than what the inbound topics accept.
      topic(config.TOPIC_DLQ, [{ name: 'max.message.bytes', value: String(4 * config.MAX_MESSAGE_BYTES) }]),
    ]).catch(authFailure);
  }
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5 },
  });
  await producer.connect().catch(authFailure);

  const deadLetters = new DeadLetterSink(producer, config.TOPIC_DLQ, clock, {
    maxBatchBytes: 2 * config.MAX_MESSAGE_BYTES,
    maxRecordBytes: 4 * config.MAX_MESSAGE_BYTES,
  });
  // One lock table for every writer in this process: the consumer, operators' commands, timer jobs and the sweeper;
  // each holder also takes the subscriptions' leases in Redis, which other processes writing this database respect.
  const leaseRedis = connectLeaseRedis(config.REDIS_URL, logger);
  const leases = new SubscriptionLeases(leaseRedis, {
    prefix: leasePrefix(config.QUEUE_PREFIX, connection.name),
    ttlMs: parseDuration(config.SUBSCRIPTION_LEASE_TTL),
    metrics,
    logger: logger.child({ component: 'leases' }),
  });
  const locks = new KeyedLock(leases);
  const failpoint = failpoints(config.FAILPOINT);
  const commits = buildCommitPath({
    database: connection.name,
    subscriptions,
    audit,
    queue,
    producer,
    redis: leaseRedis,
    queuePrefix: config.QUEUE_PREFIX,
    lifecycleTopic: config.TOPIC_LIFECYCLE,
    clock,
    failpoint,
  });
  const processDeps: ProcessDeps = {
    locks,
    subscriptions,
    commits,
    policy: config.policy,
    clock,
    decoder: { routes, maxMessageBytes: config.MAX_MESSAGE_BYTES, maxClockSkewMs: parseDuration(config.MAX_CLOCK_SKEW) },
    metrics,
  };
  const consumerLog = logger.child({ component: 'consumer' });
  const batchConsumer = new PartitionRunner(
    kafka,
    {
      name: 'inbound',
      groupId: config.KAFKA_GROUP_ID,
      topics: [...routes.keys()],
      sliceSize: config.CONSUMER_BATCH_SIZE,
      partitionsConsumedConcurrently: config.CONSUMER_PARTITIONS_CONCURRENTLY,
      backoffMaxMs: parseDuration(config.RETRY_BACKOFF_MAX),
      sessionTimeoutMs: parseDuration(config.KAFKA_SESSION_TIMEOUT),
      deadLetters,
    },
    async (messages) => {
      const { tally, deadLetters: refused } = await processMessages(messages, processDeps);
      consumerLog.debug({ topic: messages[0]?.topic, partition: messages[0]?.partition, tally }, 'slice applied');
      return { deadLetters: refused };
    },
    consumerLog,
    clock,
  );
  const indexer = new PartitionRunner(
    kafka,
    {
      name: 'dlq-index',
      groupId: `${config.KAFKA_GROUP_ID}.dlq-index`,
      topics: [config.TOPIC_DLQ],
      sliceSize: 100,
      partitionsConsumedConcurrently: 1,
      backoffMaxMs: parseDuration(config.RETRY_BACKOFF_MAX),
      sessionTimeoutMs: parseDuration(config.KAFKA_SESSION_TIMEOUT),
      maxWaitTimeInMs: 500,
      deadLetters: null,
    },
    deadLetterIndexHandler(deadLetterStore, clock),
    logger.child({ component: 'dlq-index' }),
    clock,
  );
  const queues = [queue];
  const offsets = new KafkaOffsets(kafka);
  // Consumer lag and job counts are read when Prometheus scrapes, from this app's own clients.
  const exporter = metrics instanceof PrometheusMetrics ? metrics : undefined;
  const consumerLag = () => offsets.consumerLag(config.KAFKA_GROUP_ID, [...routes.keys()]);
  exporter?.watch({
    consumerLag,
    queues,
    outboxBacklog: () => commits.pendingCount(),
    pendingDeadLetters: () => deadLetterStore.count({ status: 'pending' }),
    subscriptionsByStatus: () => subscriptions.countByStatus(),
  });
  // The ops console's lag trend (docs/operations.md): an hour of readings in memory, taken while the HTTP server runs.
  const lagHistory = new LagHistory(consumerLag, parseDuration(config.CONSOLE_LAG_SAMPLE_INTERVAL), clock, (error) => {
    logger.warn({ err: error }, 'consumer lag reading for the console failed');
  });
  const sweeper = new OutboxSweeper(commits, locks, clock, logger.child({ component: 'outbox' }));

  let worker: Worker | undefined;
  let consuming = false;
  const http = await buildHttpServer(
    {
      config,
      subscriptions,
      audit,
      queue,
      queues,
      deadLetterCount: () => offsets.messagesIn(config.TOPIC_DLQ),
      metrics: exporter,
      apply: processDeps,
      deadLetters: deadLetterStore,
      producer,
      logger,
      console: { consumerLag, lagHistory },
      observe: metrics,
      // Each check answers within 2 s: a server that is away makes /readyz say 503, never hang.
      readiness: async () => {
        const [mongodb, redis] = await Promise.all([
          within(2_000, pingMongo(connection)),
          within(
            2_000,
            queueRedis.ping().then(() => true),
          ),
        ]);
        // A partition that has failed and been retried for a minute makes no progress: say so, whatever its cause.
        return { mongodb, redis, kafka: consuming, partitionsProgressing: batchConsumer.stalled(STALLED_AFTER_MS).length === 0 };
      },
    },
    config.OPS_ROUTES_ENABLED
      ? [subscriptionRoutes, opsRoutes, dlqRoutes, adminRoutes, metricsRoutes]
      : [subscriptionRoutes, metricsRoutes],
  );

  return {
    config,
    connection,
    kafka,
    producer,
    queue,
    subscriptions,
    audit,
    deadLetterStore,
    http,
    processDeps,
    commits,
    async start(options = {}) {
      await sweeper.sweepOnce();
      if (options.timers ?? true) {
        worker = startTimerWorker({
          queueName: config.TIMER_QUEUE,
          prefix: config.QUEUE_PREFIX,
          connection: workerRedis,
          concurrency: config.TIMER_CONCURRENCY,
          lockDurationMs: parseDuration(config.TIMER_LOCK_DURATION),
          registry: jobRegistry(),
          deps: {
            connection,
            subscriptions,
            audit,
            commits,
            dataCollections: config.DATA_COLLECTIONS,
            policy: config.policy,
            clock,
            logger: logger.child({ component: 'timers' }),
            metrics,
            queue,
            failpoint,
            locks,
            onDrift: (kind, count) => {
              metrics.reconciliationDrift(kind, count);
            },
          },
        });
        if (config.RECONCILE_ENABLED) {
          // One scheduler id for the whole fleet: BullMQ runs it once per interval whatever the number of workers.
          await queue.upsertJobScheduler(
            RECONCILE,
            { every: parseDuration(config.RECONCILE_INTERVAL) },
            { name: RECONCILE, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
          );
        }
      }
      if (options.consume ?? true) {
        await batchConsumer.start();
        consuming = true;
        await indexer.start();
      }
      sweeper.start();
      if (options.http ?? true) {
        await http.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
        lagHistory.start();
      }
    },
    stop: once(async () => {
      await runEveryStep([
        ['sweeper', () => sweeper.stop()],
        ['lag history', () => lagHistory.stop()],
        ['http', () => http.close()],
        ['consumer', () => batchConsumer.stop()],
        ['dead-letter indexer', () => indexer.stop()],
        ['timer worker', () => worker?.close()],
        ['offsets', () => offsets.close()],
        ['producer', () => producer.disconnect()],
        ['queue', () => queue.close()],
        ['redis', () => [queueRedis, workerRedis, leaseRedis].forEach((client) => client.disconnect())],
        ['mongodb', () => connection.close()],
      ]);
      consuming = false;
    }),
  };
}
