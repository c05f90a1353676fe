import { randomUUID } from 'node:crypto';

import { Redis, type RedisOptions, type Result } from 'ioredis';

import { AppError } from '../errors';
import { LEASE_RETRY, leaseBackoffMs } from '../retry-policies';
import type { Logger } from '../logging/logger';
import { redisFailure } from '../redis-errors';
import type { CrossProcessLock } from './keyed-lock';

// Compare-and-act: a process only ever extends or deletes a lease that still carries its own token.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    leaseRenew(key: string, token: string, ttlMs: number): Result<number, Context>;
    leaseRelease(key: string, token: string): Result<number, Context>;
  }
}

/** What leases report: waits on another process's lease, and leases that lapsed while held. */
export interface LeaseMetrics {
  leaseWaited(seconds: number): void;
  leaseLost(count: number): void;
}

export interface LeaseOptions {
  /** Every writer of one database must share it: see `leasePrefix`. */
  readonly prefix: string;
  /** How long a lease outlives a process that stops renewing it (a crash); renewed every third of it while held. */
  readonly ttlMs: number;
  /** How long to wait for another process's lease before giving up with a retriable SUBSCRIPTION_BUSY; 2 × ttlMs by default (`LEASE_RETRY`). */
  readonly maxWaitMs?: number;
  readonly metrics?: LeaseMetrics;
  readonly logger?: Logger;
}

/** What the leases need of the process's Redis connection (src/queue/redis.ts's `RedisConnection`, passed in). */
export interface LeaseRedisConnection {
  readonly options: Readonly<RedisOptions>;
}

/**
 * A connection of the leases' own that fails a command within a few hundred milliseconds while Redis is away, so a
 * writer gets a transient error (and backs off) instead of waiting unseen, and a release never holds up shutdown.
 */
export function connectLeaseRedis(connection: LeaseRedisConnection, logger?: Logger): Redis {
  const client = new Redis({ ...connection.options, maxRetriesPerRequest: 2, connectionName: 'billing-enforcer-leases' });
  client.on('error', (error: unknown) => logger?.debug({ err: error }, 'lease connection error'));
  return client;
}

/** The lease keys of one MongoDB database: workers writing the same database must meet on the same keys. */
export function leasePrefix(queuePrefix: string, database: string): string {
  return `${queuePrefix}:lease:${database}:`;
}

/**
 * After one pipelined SET NX over `keys` (in sorted order): the leading run that was acquired is kept; anything
 * acquired past the first miss is given back. Holding only a sorted prefix while waiting means two processes with
 * overlapping key sets (a sweeper page and a slice, say) can never wait on each other in a cycle.
 */
export function settleAttempt(keys: readonly string[], acquired: readonly boolean[]): { kept: number; giveBack: string[] } {
  const firstMiss = acquired.indexOf(false);
  if (firstMiss === -1) return { kept: keys.length, giveBack: [] };
  return { kept: firstMiss, giveBack: keys.slice(firstMiss + 1).filter((_, index) => acquired[firstMiss + 1 + index] === true) };
}

export function renewEveryMs(ttlMs: number): number {
  return Math.max(100, Math.floor(ttlMs / 3));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One holder's leases: the sorted keys, the token that proves them ours, and how many (a sorted prefix) are held. */
class Hold {
  readonly token = randomUUID();
  held = 0;
  private readonly lapsed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastRenewed = Date.now();
  private stopped = false;

  constructor(readonly keys: readonly string[]) {}

  /** Renews the held leases every third of the TTL until stopped; one that lapsed is no longer renewed. */
  keepAlive(leases: SubscriptionLeases, ttlMs: number): void {
    const tick = async (): Promise<void> => {
      const live = this.keys.slice(0, this.held).filter((key) => !this.lapsed.has(key));
      const lost = await leases.renew(live, this.token, Date.now() - this.lastRenewed > ttlMs);
      if (lost !== null) {
        this.lastRenewed = Date.now();
        for (const key of lost) this.lapsed.add(key);
      }
      if (!this.stopped) schedule();
    };
    const schedule = (): void => {
      this.timer = setTimeout(() => void tick(), renewEveryMs(ttlMs));
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/**
 * Exclusion per subscription across processes: a lease in Redis (`SET key token NX PX ttl`), taken inside this
 * process's KeyedLock and held from load to effects. On FerretDB it is the only guard: writes there filter by `{_id}`
 * alone (src/storage/store-dialect.ts; its version check would not be atomic anyway), so a holder whose lease lapsed
 * (stalled longer than the TTL) can overwrite another's write. On MongoDB the `{_id, version}` filter is a fence
 * behind it: such a holder loses the race and redoes its work.
 */
export class SubscriptionLeases implements CrossProcessLock {
  private readonly maxWaitMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: LeaseOptions,
  ) {
    this.maxWaitMs = options.maxWaitMs ?? LEASE_RETRY.maxWaitTtls * options.ttlMs;
    redis.defineCommand('leaseRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('leaseRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  async withLeases<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const hold = new Hold([...new Set(keys)].sort().map((key) => `${this.options.prefix}${key}`));
    hold.keepAlive(this, this.options.ttlMs);
    try {
      await this.acquire(hold);
      return await work();
    } finally {
      hold.stop();
      await this.release(hold.keys, hold.token);
    }
  }

  private async acquire(hold: Hold): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const pending = hold.keys.slice(hold.held);
      const acquired = await this.trySet(pending, hold.token);
      const { kept, giveBack } = settleAttempt(pending, acquired);
      hold.held += kept;
      if (giveBack.length > 0) await this.release(giveBack, hold.token);
      if (hold.held === hold.keys.length) {
        if (attempt > 0) this.options.metrics?.leaseWaited((Date.now() - started) / 1000);
        return;
      }
      if (Date.now() - started > this.maxWaitMs) {
        throw new AppError('SUBSCRIPTION_BUSY', `another process held ${hold.keys[hold.held]} for longer than ${this.maxWaitMs} ms`, {
          context: { lease: hold.keys[hold.held] },
        });
      }
      await sleep(leaseBackoffMs(attempt, Math.random()));
    }
  }

  /** One SET NX per key, in one pipeline: which were taken. */
  private async trySet(keys: readonly string[], token: string): Promise<boolean[]> {
    try {
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.set(key, token, 'PX', this.options.ttlMs, 'NX');
      const replies = (await pipeline.exec()) ?? [];
      return keys.map((_, index) => {
        const [error, reply] = replies[index] ?? [new Error('no reply')];
        if (error) throw error;
        return reply === 'OK';
      });
    } catch (error) {
      throw redisFailure(error, { op: 'lease acquire', lease: keys[0] }, this.redis.status);
    }
  }

  /**
   * Extends the leases; returns those that lapsed (taken over, or expired), or null when Redis did not answer and the
   * leases may still be alive. `overdue` says the last renewal is older than the TTL: then an unanswered renewal means
   * they have lapsed too.
   */
  async renew(keys: readonly string[], token: string, overdue: boolean): Promise<readonly string[] | null> {
    if (keys.length === 0) return [];
    try {
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.leaseRenew(key, token, this.options.ttlMs);
      const replies = (await pipeline.exec()) ?? [];
      const lost = keys.filter((_, index) => replies[index]?.[1] !== 1);
      if (lost.length > 0) this.lapsed(lost, 'taken over or expired');
      return lost;
    } catch (error) {
      if (!overdue) {
        this.options.logger?.warn({ err: error }, 'lease renewal failed; will retry');
        return null;
      }
      this.lapsed(keys, 'Redis unreachable for longer than the lease TTL');
      return keys;
    }
  }

  private lapsed(keys: readonly string[], why: string): void {
    this.options.metrics?.leaseLost(keys.length);
    // The holder carries on. On MongoDB its version-guarded write fences it (it loses the race and retries); on
    // FerretDB nothing does (writes filter by {_id}): hence the error log and the leases-lost metric.
    this.options.logger?.error({ leases: keys.slice(0, 10), count: keys.length, why }, 'subscription leases lapsed while held');
  }

  /** Deletes the leases still carrying `token`; a failure is only logged, since the leases expire by themselves. */
  private async release(keys: readonly string[], token: string): Promise<void> {
    if (keys.length === 0) return;
    try {
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.leaseRelease(key, token);
      await pipeline.exec();
    } catch (error) {
      this.options.logger?.warn({ err: error, count: keys.length }, 'lease release failed; the leases expire after their TTL');
    }
  }
}
