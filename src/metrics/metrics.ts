import type { Outcome } from '../domain';

export type ConsumeOutcome = Outcome | 'dead-lettered';

/** What the worker reports as it runs; the Prometheus implementation lives beside it, tests may pass `noMetrics`. */
export interface Metrics {
  /** One inbound message's outcome. `type` is the envelope's type, or `unknown` when it could not be read. */
  eventConsumed(topic: string, type: string, outcome: ConsumeOutcome): void;
  /** Seconds from the message's Kafka timestamp to its effects being durable. */
  eventLatency(topic: string, seconds: number): void;
  /** A deletion job deleted a subscription's data. */
  deletionExecuted(collections: readonly { collection: string; deleted: number }[]): void;
  reminderSent(): void;
  /** Drift a reconciliation pass found (and repaired) between MongoDB's timers and Redis's jobs: `count` more of `kind`. */
  reconciliationDrift(kind: string, count: number): void;
  /** Seconds a writer waited for another process's subscription lease (only acquisitions that had to wait). */
  leaseWaited(seconds: number): void;
  /** Subscription leases that lapsed while held (the holder stalled, or Redis was away, for longer than the TTL). */
  leaseLost(count: number): void;
  /** An event named another tenant or customer than its subscription's, and was dead-lettered (IDENTITY_MISMATCH). */
  identityMismatch(): void;
  /** A timer job's run failed: `final` when it gave up (the job is kept as failed), else it will be retried. */
  timerJobFailed(job: string, final: boolean): void;
  /** One request to the access API (`GET /v1/subscriptions/...`), answered in `seconds`. */
  accessRequest(route: string, statusCode: number, seconds: number): void;
  /** The Kafka client crashed below the handler (`cause`: the error's class); `restart`: it is being restarted. */
  consumerCrashed(consumer: string, cause: string, restart: boolean): void;
  /** A record batch could not be decoded: it holds its partition (`stalled`), or was dead-lettered or skipped. */
  batchUndecodable(topic: string, cause: string, outcome: 'stalled' | 'dead-lettered' | 'skipped'): void;
}

export const noMetrics: Metrics = {
  eventConsumed: () => undefined,
  eventLatency: () => undefined,
  deletionExecuted: () => undefined,
  reminderSent: () => undefined,
  reconciliationDrift: () => undefined,
  leaseWaited: () => undefined,
  leaseLost: () => undefined,
  identityMismatch: () => undefined,
  timerJobFailed: () => undefined,
  accessRequest: () => undefined,
  consumerCrashed: () => undefined,
  batchUndecodable: () => undefined,
};
