import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';

import { buildHttp } from './build-http';
import { buildInboundRunners, type InboundRunners } from './build-inbound';
import { scheduleReconcile, startTimers } from './build-timers';
import type { Config } from './config/config';
import type { CommitPath } from './commit/commit-path';
import { DeadLetterSink } from './kafka/dead-letters';
import { DeadLetterStore } from './storage/dead-letter.repository';
import { kafkaFailure } from './kafka/kafka-errors';
import { createKafka, createProducer, ensureTopics } from './kafka/kafka-client';
import { PartitionSkipRepository } from './storage/partition-skip.repository';
import { kafkaAuthFailure, kafkaSecurity } from './kafka/kafka-security';
import { KafkaOffsets } from './kafka/offsets';
import type { Logger } from './logging/logger';
import { OutboxSweeper } from './use-cases/outbox-sweeper';
import type { ProcessDeps } from './use-cases/process-messages';
import { inboundTable, type InboundTable } from './use-cases/inbound-table';
import { checkRedis, connectRedis, redisConnection } from './queue/redis';
import { failpoints } from './failpoints';
import { KAFKA_CLIENT_RETRY } from './retry-policies';
import { Teardown } from './teardown';
import { connectLeaseRedis } from './leases/subscription-leases';
import { buildWriter } from './commit/writer';
import { openStores } from './storage/stores';
import { TenantPolicyRepository } from './storage/tenant-policy.repository';
import { TenantPolicies, type PolicyDeps } from './use-cases/tenant-policies';
import type { AuditRepository } from './storage/audit.repository';
import type { SubscriptionRepository } from './storage/subscription.repository';
import { connectMongo } from './storage/mongo';
import { parseDuration } from './domain';
import { noMetrics, type Metrics } from './metrics/metrics';
import { PrometheusMetrics } from './metrics/prometheus';
import { LagHistory } from './metrics/lag-history';
import { cached } from './metrics/cached-reading';
import { tracingFor, type Tracing } from './tracing/tracing';

/** How long one reading of consumer lag serves every reader (as the metrics' own reuse of it). */
const LAG_READING_MS = 5_000;

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
  /** The inbound topics and their decoder, built once here and passed to the runner, the HTTP API and the replay. */
  readonly inbound: InboundTable;
  /** The one way state and effects are committed (src/commit). */
  readonly commits: CommitPath;
  /** Tenants' policy versions, previews and re-plans (src/use-cases/tenant-policies.ts). */
  readonly policies: PolicyDeps;
  /** The inbound topics' runner and the dead-letter indexer's. */
  readonly runners: InboundRunners;
  start(options?: { consume?: boolean; timers?: boolean; http?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the worker. Each service is registered with the teardown as it opens, so a start-up that fails half-way
 * (a refused Kafka login, say) closes whatever had opened before the error reaches the caller.
 */
export async function createApp(
  config: Readonly<Config>,
  logger: Logger,
  clock: () => number = Date.now,
  metrics: Metrics = noMetrics,
  /** OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set, none otherwise; tests give an in-memory one. */
  tracing: Tracing = tracingFor(config),
): Promise<App> {
  const teardown = new Teardown();
  try {
    // Registered first, so closed last: the spans of everything stopped before it are flushed to the collector.
    teardown.add('tracing', () => tracing.shutdown());
    return await assemble(config, logger, clock, metrics, tracing, teardown);
  } catch (error) {
    await teardown.close().catch((closeError: unknown) => logger.error({ err: closeError }, 'closing after a failed start-up failed'));
    throw error;
  }
}

async function assemble(
  config: Readonly<Config>,
  logger: Logger,
  clock: () => number,
  metrics: Metrics,
  tracing: Tracing,
  teardown: Teardown,
): Promise<App> {
  const connection = await teardown.open('mongodb', connectMongo(config.MONGODB_URI), (opened) => opened.close());
  const stores = await openStores(connection, config);
  const { subscriptions, audit } = stores;
  await Promise.all([subscriptions.ensureIndexes(), audit.ensureIndexes()]);
  const deadLetterStore = new DeadLetterStore(connection);
  await deadLetterStore.ensureIndexes();
  const skips = new PartitionSkipRepository(connection, clock);
  await skips.ensureIndexes();

  // The clients below retry forever: a setting Redis refuses (credentials, certificate, database) stops the start here.
  const redis = redisConnection(config);
  await checkRedis(redis);
  const queueRedis = connectRedis(redis, 'billing-enforcer-queue');
  const workerRedis: Redis = connectRedis(redis, 'billing-enforcer-worker');
  teardown.add('redis', () => [queueRedis, workerRedis].forEach((client) => client.disconnect()));
  const queue = new Queue(config.TIMER_QUEUE, { connection: queueRedis, prefix: config.QUEUE_PREFIX });
  teardown.add('queue', () => queue.close());

  const kafka = createKafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    logger,
    security: kafkaSecurity(config),
    decompression: { maxBatchBytes: config.KAFKA_MAX_BATCH_DECOMPRESSED_BYTES, maxFetchBytes: config.KAFKA_MAX_FETCH_DECOMPRESSED_BYTES },
  });
  // Refused credentials or certificates fail the start at once, with the settings to check (the first Kafka call below).
  const authFailure = (error: unknown): never => {
    throw kafkaAuthFailure(error, config) ?? kafkaFailure(error, { op: 'connect' });
  };
  const inbound = inboundTable(config);
  if (config.KAFKA_CREATE_TOPICS) {
    const topic = (name: string, configEntries: { name: string; value: string }[] = []) => ({
      topic: name,
      numPartitions: config.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      configEntries,
    });
    await ensureTopics(kafka, [
      ...inbound.topics.map((name) => topic(name)),
      topic(config.TOPIC_LIFECYCLE),
      // Dead letters carry the original bytes plus headers, so they may be larger than what the inbound topics accept.
      topic(config.TOPIC_DLQ, [{ name: 'max.message.bytes', value: String(4 * config.MAX_MESSAGE_BYTES) }]),
    ]).catch(authFailure);
  }
  const producer = createProducer(kafka, config.KAFKA_PRODUCER_COMPRESSION, {
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: KAFKA_CLIENT_RETRY.workerProducer,
  });
  await teardown.open('producer', producer.connect().catch(authFailure), () => producer.disconnect());

  const deadLetters = new DeadLetterSink(producer, config.TOPIC_DLQ, clock, {
    maxBatchBytes: 2 * config.MAX_MESSAGE_BYTES,
    maxRecordBytes: 4 * config.MAX_MESSAGE_BYTES,
  });
  // One lock table for every writer in this process: the consumer, operators' commands, timer jobs and the sweeper;
  // each holder also takes the subscriptions' leases in Redis, which other processes writing this database respect.
  const leaseRedis = connectLeaseRedis(redis, logger);
  teardown.add('lease redis', () => leaseRedis.disconnect());
  const failpoint = failpoints(config.FAILPOINT);
  const { commits, locks } = buildWriter({
    database: connection.name,
    stores,
    queue,
    producer,
    redis: leaseRedis,
    settings: config,
    clock,
    failpoint,
    observe: { metrics, logger: logger.child({ component: 'leases' }) },
  });
  const policyStore = new TenantPolicyRepository(connection);
  await policyStore.ensureIndexes();
  const tenantPolicies = new TenantPolicies(policyStore, config.policy, parseDuration(config.TENANT_POLICY_REFRESH), clock);
  const policies: PolicyDeps = { policies: policyStore, source: tenantPolicies, subscriptions, commits, locks, clock };
  const processDeps: ProcessDeps = {
    locks,
    subscriptions,
    commits,
    policy: config.policy,
    tenantPolicies,
    clock,
    decoder: inbound.decoder,
    metrics,
  };
  const offsets = new KafkaOffsets(kafka);
  teardown.add('offsets', () => offsets.close());
  // One reading of the inbound group's lag, shared by the runner's progress watch, the metrics and the console's trend:
  // each reading costs the brokers an offset fetch per topic.
  const consumerLag = cached(() => offsets.consumerLag(config.KAFKA_GROUP_ID, inbound.topics), LAG_READING_MS, clock);
  const runners = buildInboundRunners({
    config,
    kafka,
    inbound,
    processDeps,
    deadLetters,
    deadLetterStore,
    skips,
    offsets,
    consumerLag,
    metrics,
    tracing,
    logger,
    clock,
  });
  const { inbound: batchConsumer, dlqIndex: indexer } = runners;
  const queues = [queue];
  const consumerProblems = () => [...batchConsumer.health(), ...indexer.health()];
  let worker: Worker | undefined;
  teardown.add('timer worker', () => worker?.close());
  // Consumer lag and job counts are read when Prometheus scrapes, from this app's own clients.
  const exporter = metrics instanceof PrometheusMetrics ? metrics : undefined;
  exporter?.watch({
    consumerLag,
    queues,
    outboxBacklog: () => commits.pendingCount(),
    pendingDeadLetters: () => deadLetterStore.count({ status: 'pending' }),
    subscriptionsByStatus: () => subscriptions.countByStatus(),
    consumerProblems,
  });
  // The ops console's lag trend (docs/operations.md): an hour of readings in memory, taken while the HTTP server runs.
  const lagHistory = new LagHistory(consumerLag, parseDuration(config.CONSOLE_LAG_SAMPLE_INTERVAL), clock, (error) => {
    logger.warn({ err: error }, 'consumer lag reading for the console failed');
  });
  const sweeper = new OutboxSweeper(commits, locks, clock, logger.child({ component: 'outbox' }));

  let consuming = false;
  teardown.add('dead-letter indexer', () => indexer.stop());
  teardown.add('consumer', async () => {
    consuming = false;
    await batchConsumer.stop();
  });
  const http = await buildHttp({
    config,
    subscriptions,
    audit,
    queue,
    queues,
    deadLetterCount: () => offsets.messagesIn(config.TOPIC_DLQ),
    metrics: exporter,
    apply: processDeps,
    policies,
    inbound,
    deadLetters: deadLetterStore,
    producer,
    logger,
    console: { consumerLag, lagHistory },
    observe: metrics,
    connection,
    redis: queueRedis,
    skips,
    consumerProblems,
    consuming: () => consuming,
  });
  teardown.add('http', () => http.close());
  teardown.add('lag history', () => lagHistory.stop());
  teardown.add('sweeper', () => sweeper.stop());

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
    inbound,
    commits,
    policies,
    runners,
    async start(options = {}) {
      await sweeper.sweepOnce();
      if (options.timers ?? true) {
        worker = startTimers({
          config,
          redis: workerRedis,
          connection,
          subscriptions,
          audit,
          commits,
          locks,
          policies,
          queue,
          metrics,
          tracing,
          logger,
          clock,
          failpoint,
        });
        await scheduleReconcile(config, queue);
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
    stop: teardown.close,
  };
}
