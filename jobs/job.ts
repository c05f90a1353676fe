import type { Queue } from 'bullmq';
import type { z } from 'zod';
import type { Connection } from 'mongoose';

import type { Policy } from '../src/domain';
import type { CommitPath } from '../src/commit/commit-path';
import type { Logger } from '../src/logging/logger';
import type { KeyRing } from '../src/proof/keys';
import type { Metrics } from '../src/metrics/metrics';
import type { DriftKind } from '../src/use-cases/reconcile';
import type { PolicyDeps } from '../src/use-cases/tenant-policies';
import type { KeyedLock } from '../src/leases/keyed-lock';
import type { TimerJobName } from '../src/queue/timer-jobs';
import type { TimerResult } from '../src/queue/timer-worker';
import type { AuditRepository } from '../src/storage/audit.repository';
import type { SubscriptionRepository } from '../src/storage/subscription.repository';

export interface JobDeps {
  readonly connection: Connection;
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
  /** The one way a job writes state, audit records, timers and lifecycle events. */
  readonly commits: CommitPath;
  readonly dataCollections: readonly string[];
  readonly policy: Policy;
  /** The key that signs deletion certificates (none: deletions leave no certificate). */
  readonly certificateKeys: KeyRing;
  /** Tenants' policies: the reconciler re-plans pending deletions onto each tenant's latest version. */
  readonly policies?: PolicyDeps;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly queue: Queue;
  /** A named crash point for the fault-injection suite; does nothing unless FAILPOINT names it. */
  readonly failpoint: (name: string) => void;
  /** The process's per-subscription lock table, shared with the consumer. */
  readonly locks: KeyedLock;
  readonly onDrift?: (kind: DriftKind, count: number) => void;
}

export type JobResult = TimerResult;

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: TimerJobName;
  readonly payload: S;
  readonly process: (payload: z.infer<S>, jobId: string, deps: JobDeps) => Promise<JobResult>;
}

export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition {
  return definition;
}
