import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';

import { jobRegistry } from '../jobs/registry';
import type { CommitPath } from './commit/commit-path';
import type { Config } from './config/config';
import { parseDuration } from './domain';
import type { PolicyDeps } from './use-cases/tenant-policies';
import type { KeyedLock } from './leases/keyed-lock';
import type { Logger } from './logging/logger';
import type { Metrics } from './metrics/metrics';
import { RECONCILE } from './queue/timer-jobs';
import { startTimerWorker } from './queue/timer-worker';
import type { AuditRepository } from './storage/audit.repository';
import type { SubscriptionRepository } from './storage/subscription.repository';
import type { Tracing } from './tracing/tracing';

export interface TimerParts {
  readonly config: Readonly<Config>;
  /** The worker's own Redis connection (BullMQ's worker blocks on it). */
  readonly redis: Redis;
  readonly connection: Connection;
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
  readonly commits: CommitPath;
  readonly locks: KeyedLock;
  readonly policies?: PolicyDeps;
  readonly queue: Queue;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly failpoint: (name: string) => void;
}

/** Starts the timer worker with every job of the registry. */
export function startTimers(parts: TimerParts): Worker {
  const { config, queue, metrics } = parts;
  return startTimerWorker({
    queueName: config.TIMER_QUEUE,
    prefix: config.QUEUE_PREFIX,
    connection: parts.redis,
    concurrency: config.TIMER_CONCURRENCY,
    lockDurationMs: parseDuration(config.TIMER_LOCK_DURATION),
    registry: jobRegistry(),
    tracer: parts.tracing.tracer,
    deps: {
      connection: parts.connection,
      subscriptions: parts.subscriptions,
      audit: parts.audit,
      commits: parts.commits,
      dataCollections: config.DATA_COLLECTIONS,
      policy: config.policy,
      certificateKeys: config.certificateKeys,
      ...(parts.policies === undefined ? {} : { policies: parts.policies }),
      clock: parts.clock,
      logger: parts.logger.child({ component: 'timers' }),
      metrics,
      queue,
      failpoint: parts.failpoint,
      locks: parts.locks,
      onDrift: (kind, count) => {
        metrics.reconciliationDrift(kind, count);
      },
    },
  });
}

/** The reconciler's schedule, when enabled: one scheduler id for the whole fleet, so BullMQ runs it once per interval. */
export async function scheduleReconcile(config: Pick<Config, 'RECONCILE_ENABLED' | 'RECONCILE_INTERVAL'>, queue: Queue): Promise<void> {
  if (!config.RECONCILE_ENABLED) return;
  await queue.upsertJobScheduler(
    RECONCILE,
    { every: parseDuration(config.RECONCILE_INTERVAL) },
    { name: RECONCILE, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
  );
}
