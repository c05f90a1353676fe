import type { Kafka } from 'kafkajs';

import type { Config } from './config/config';
import { parseDuration } from './domain';
import type { DeadLetterSink } from './kafka/dead-letters';
import type { KafkaOffsets, PartitionLag } from './kafka/offsets';
import { PartitionRunner } from './kafka/partition-runner';
import type { Logger } from './logging/logger';
import type { Metrics } from './metrics/metrics';
import type { DeadLetterStore } from './storage/dead-letter.repository';
import type { PartitionSkipRepository } from './storage/partition-skip.repository';
import type { Tracing } from './tracing/tracing';
import { deadLetterIndexHandler } from './use-cases/dead-letter-index.handler';
import type { InboundTable } from './use-cases/inbound-table';
import { inboundSliceHandler, type ProcessDeps } from './use-cases/process-messages';

/** The worker's two consumers, on the one partition runner: the inbound topics, and the dead-letter indexer. */
export interface InboundRunners {
  readonly inbound: PartitionRunner;
  readonly dlqIndex: PartitionRunner;
}

export interface InboundParts {
  readonly config: Readonly<Config>;
  readonly kafka: Kafka;
  readonly inbound: InboundTable;
  readonly processDeps: ProcessDeps;
  readonly deadLetters: DeadLetterSink;
  readonly deadLetterStore: DeadLetterStore;
  readonly skips: PartitionSkipRepository;
  readonly offsets: KafkaOffsets;
  /** The inbound group's lag, read once for every reader (app.ts). */
  readonly consumerLag: () => Promise<readonly PartitionLag[]>;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly logger: Logger;
  readonly clock: () => number;
}

/** Builds both runners (not started): what each consumes, its handler from the use cases, and how it backs off. */
export function buildInboundRunners(parts: InboundParts): InboundRunners {
  const { config, kafka, inbound, offsets, metrics, clock } = parts;
  const stallAfterMs = parseDuration(config.CONSUMER_STALL_AFTER);
  const backoffMaxMs = parseDuration(config.RETRY_BACKOFF_MAX);
  const sessionTimeoutMs = parseDuration(config.KAFKA_SESSION_TIMEOUT);
  const consumerLog = parts.logger.child({ component: 'consumer' });
  const runner = new PartitionRunner(
    kafka,
    {
      name: 'inbound',
      groupId: config.KAFKA_GROUP_ID,
      topics: inbound.topics,
      sliceSize: config.CONSUMER_BATCH_SIZE,
      commitsInFlight: config.CONSUMER_PARTITIONS_CONCURRENTLY,
      backoffMaxMs,
      sessionTimeoutMs,
      deadLetters: parts.deadLetters,
      tracer: parts.tracing.tracer,
      stallAfterMs,
      skips: parts.skips,
      positions: parts.consumerLag,
      observer: metrics,
    },
    inboundSliceHandler(parts.processDeps, consumerLog),
    consumerLog,
    clock,
  );
  const indexGroup = `${config.KAFKA_GROUP_ID}.dlq-index`;
  const indexer = new PartitionRunner(
    kafka,
    {
      name: 'dlq-index',
      groupId: indexGroup,
      topics: [config.TOPIC_DLQ],
      sliceSize: 100,
      commitsInFlight: 1,
      backoffMaxMs,
      sessionTimeoutMs,
      maxWaitTimeInMs: 500,
      deadLetters: null,
      stallAfterMs,
      positions: () => offsets.consumerLag(indexGroup, [config.TOPIC_DLQ]),
      observer: metrics,
    },
    deadLetterIndexHandler(parts.deadLetterStore, clock),
    parts.logger.child({ component: 'dlq-index' }),
    clock,
  );
  return { inbound: runner, dlqIndex: indexer };
}
