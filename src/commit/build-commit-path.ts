import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';

import { LifecyclePublisher } from '../kafka/lifecycle-publisher';
import { TimerQueue } from '../queue/timer-queue';
import type { AuditRepository } from '../storage/audit.repository';
import type { SubscriptionRepository } from '../storage/subscription.repository';
import { CommitPath, type Failpoint } from './commit-path';
import { PendingEffects, pendingEffectsKey } from './pending-effects';

export interface CommitPathParts {
  readonly database: string;
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
  readonly queue: Queue;
  readonly producer: Producer;
  /** A connection that fails fast while Redis is away (the leases'), so a commit fails as transient instead of hanging. */
  readonly redis: Redis;
  readonly queuePrefix: string;
  readonly lifecycleTopic: string;
  readonly clock: () => number;
  readonly failpoint?: Failpoint;
  /** Link audit records into their chains (AUDIT_CHAIN); default true. */
  readonly chain?: boolean;
}

/** The worker and the CLI build their commit path here, so both mark, write and carry out effects the same way. */
export function buildCommitPath(parts: CommitPathParts): CommitPath {
  return new CommitPath(
    parts.subscriptions,
    parts.audit,
    new TimerQueue(parts.queue, parts.clock),
    new LifecyclePublisher(parts.producer, parts.lifecycleTopic),
    new PendingEffects(parts.redis, pendingEffectsKey(parts.queuePrefix, parts.database), parts.clock),
    parts.failpoint,
    parts.chain ?? true,
  );
}
