import type { Redis } from 'ioredis';

import { redisFailure } from '../redis-errors';

/** A subscription whose stored outbox (at `version`) may not have been carried out yet. */
export interface PendingMark {
  readonly subscriptionId: string;
  readonly version: number;
}

/**
 * Which subscriptions' outboxes may still be owed, kept in one Redis hash (field: subscription id, value:
 * `version:markedAt`). A writer marks before its state write and unmarks once the effects are out, all inside the
 * subscription's lease: so a stored outbox is owed exactly when its version is marked, and nobody writes MongoDB a
 * second time to clear it. The hash holds only writes in flight or cut short by a crash: a few entries, not one per
 * subscription. Its durability is Redis's (AOF), as for the timers themselves.
 */
export class PendingEffects {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly clock: () => number,
  ) {}

  async mark(marks: readonly PendingMark[]): Promise<void> {
    if (marks.length === 0) return;
    const at = this.clock();
    await this.guard('mark', () => this.redis.hset(this.key, ...marks.flatMap((mark) => [mark.subscriptionId, `${mark.version}:${at}`])));
  }

  /** The marked version of each given subscription that has one. */
  async versionsOf(subscriptionIds: readonly string[]): Promise<Map<string, number>> {
    if (subscriptionIds.length === 0) return new Map();
    const values = await this.guard('read', () => this.redis.hmget(this.key, ...subscriptionIds));
    const marked = new Map<string, number>();
    subscriptionIds.forEach((id, index) => {
      const parsed = parseMark(values[index] ?? null);
      if (parsed !== null) marked.set(id, parsed.version);
    });
    return marked;
  }

  async unmark(subscriptionIds: readonly string[]): Promise<void> {
    if (subscriptionIds.length === 0) return;
    await this.guard('unmark', () => this.redis.hdel(this.key, ...subscriptionIds));
  }

  /** Marks older than `before`: writes whose effects a crash may have cut short (the sweeper's work list). */
  async olderThan(before: number, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.guard('scan', () => this.redis.hscan(this.key, cursor, 'COUNT', 500));
      cursor = next;
      for (let index = 0; index + 1 < flat.length; index += 2) {
        const field = flat[index];
        const mark = parseMark(flat[index + 1] ?? null);
        if (field !== undefined && mark !== null && mark.at < before) ids.push(field);
      }
    } while (cursor !== '0' && ids.length < limit);
    return ids.slice(0, limit);
  }

  async count(): Promise<number> {
    return await this.guard('count', () => this.redis.hlen(this.key));
  }

  private async guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw redisFailure(error, { op: `pending-effects ${what}`, key: this.key }, this.redis.status);
    }
  }
}

/** `version:markedAt`; anything else (a hand edit, say) reads as no mark. */
export function parseMark(value: string | null): { version: number; at: number } | null {
  if (value === null) return null;
  const match = /^(\d+):(\d+)$/.exec(value);
  if (match === null) return null;
  return { version: Number(match[1]), at: Number(match[2]) };
}

/** The hash of one MongoDB database: every writer of that database must meet on it, as on the leases. */
export function pendingEffectsKey(queuePrefix: string, database: string): string {
  return `${queuePrefix}:pending-effects:${database}`;
}
