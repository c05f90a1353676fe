import { classOf } from './errors';

// Every retry the worker makes, named in one place. Whether an error is worth retrying at all is the error table's
// `retriable` (src/errors.ts); this module says how often and how long to wait. Importable from every folder.

/** Exponential backoff: try `n` (1-based) waits `baseMs` × 2^(n-1), at most `maxMs`. */
export interface RetryPolicy {
  /** Tries after the first; past them the work is given up on. */
  readonly retries: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Exponential backoff from `policy.baseMs`, capped at `policy.maxMs`. */
export function backoffDelayMs(failures: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
}

/**
 * The partition runner (src/kafka/partition-runner.ts): a failing slice pauses its partition for 400 ms, doubling per
 * failure up to `RETRY_BACKOFF_MAX`; a retriable error is retried until it passes. A slice that fails
 * `isolateAfter` times in a row on its input (a non-retriable error) is retried one message at a time, and a message
 * that fails alone as often is dead-lettered. A crashed client is relaunched on the same backoff.
 */
export const PARTITION_RETRY = {
  baseMs: 200,
  /** The exponent stops growing here (200 ms × 2^10 ≈ 3.4 min), whatever `RETRY_BACKOFF_MAX` allows. */
  maxDoublings: 10,
  isolateAfter: 5,
} as const;

/** How long a partition pauses after its `failures`-th failure in a row, at most `maxMs` (`RETRY_BACKOFF_MAX`). */
export function partitionBackoffMs(failures: number, maxMs: number): number {
  return Math.min(maxMs, PARTITION_RETRY.baseMs * 2 ** Math.min(failures, PARTITION_RETRY.maxDoublings));
}

/**
 * Timer jobs (src/queue/timer-worker.ts): a run failing with a retriable error is tried again 12 times, from 2 s
 * doubling up to 30 min (about 2.6 hours in all), then kept as failed; any other error fails the run at once.
 */
export const TIMER_RETRY: RetryPolicy = { retries: 12, baseMs: 2_000, maxMs: 30 * 60_000 };

/** The wait before a timer's next try after its `failures`-th failure. */
export function timerRetryDelayMs(failures: number, policy: RetryPolicy = TIMER_RETRY): number {
  return backoffDelayMs(failures, policy);
}

/**
 * Whether a failed timer run is tried again: only for an error the table calls retriable (a dependency away, a lost
 * write race, a busy subscription). Bad input and bugs (an error with no code among them) would fail the same way
 * every time, so they fail the job at once, kept for operators to inspect and retry.
 */
export function timerRetries(error: unknown): boolean {
  return classOf(error).retriable;
}

/**
 * Write conflicts (src/use-cases/apply-commands.ts): a commit that lost the `{_id, version}` race re-reads and redoes
 * the lost subscriptions at once, at most this many times, then fails with the retriable `VERSION_CONFLICT` (and the
 * partition runner's or the timer's backoff takes over).
 */
export const COMMIT_CONFLICT_RETRIES = 20;

/**
 * Subscription leases (src/leases/subscription-leases.ts): a waiter retries after 5 ms doubling up to 200 ms, each wait
 * jittered in full so waiters of different processes do not retry in step; after twice the lease TTL it gives up
 * with the retriable `SUBSCRIPTION_BUSY`.
 */
export const LEASE_RETRY = { baseMs: 5, maxMs: 200, maxWaitTtls: 2 } as const;

/** The wait before a lease waiter's next try, `random` in [0, 1). */
export function leaseBackoffMs(attempt: number, random: number): number {
  return Math.round(random * Math.min(LEASE_RETRY.maxMs, LEASE_RETRY.baseMs * 2 ** attempt));
}

/**
 * kafkajs's own retries of one request (its `retry` option). Every client of the worker's tries a request 8 more times,
 * from 300 ms up to 10 s between tries (about 40 s); its group consumers never give up (the runner relaunches and
 * reports a consumer that crashes anyway, src/kafka/consumer-health.ts). The worker's producer tries a send 5 more times before
 * the failure reaches the commit path (an outage is the retriable `DEPENDENCY_UNAVAILABLE`, src/kafka/kafka-errors.ts,
 * so the slice is retried on the runner's backoff); the CLI's client
 * gives up within seconds, so an absent broker is reported (exit 69) instead of waited for.
 */
export const KAFKA_CLIENT_RETRY = {
  client: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  groupConsumer: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
  workerProducer: { retries: 5 },
  cli: { initialRetryTime: 300, retries: 2, maxRetryTime: 2_000 },
} as const;
