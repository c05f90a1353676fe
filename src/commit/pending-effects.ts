import type { Redis } from 'ioredis';

import { redisFailure } from '../redis-errors';
import type { OutboxEntry } from '../storage/outbox';

/** A write about to be stored at `version`, and the effects and audit records it will owe once it is. */
export interface PendingMark {
  readonly subscriptionId: string;
  readonly version: number;
  readonly outbox: readonly OutboxEntry[];
}

/**
 * Which subscriptions' writes may still owe effects, and what they owe, in Redis: one hash of marks (field:
 * subscription id, value: `version:markedAt`) and, per marked subscription, a hash of outboxes by write token. A writer
 * marks (mark and outbox in one MULTI) before its state write and unmarks once the effects are out, all inside the
 * subscription's lease: so a stored version owes its outbox exactly when that version is marked, and MongoDB stores
 * state only, written once per commit (issue 21: the outbox was three quarters of every document, written whole each
 * time). The outbox is found by the stored document's token, so a writer that lost a race (its own token) can never
 * have its effects taken for the winner's. Redis holds only writes in flight or cut short by a crash: a few entries,
 * not one per subscription. Its durability is Redis's (AOF), as for the timers themselves.
 */
export class PendingEffects {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly clock: () => number,
  ) {}

  private outboxKey(subscriptionId: string): string {
    return `${this.key}:outbox:${subscriptionId}`;
  }

  async mark(marks: readonly PendingMark[], token: string): Promise<void> {
    if (marks.length === 0) return;
    const at = this.clock();
    const multi = this.redis.multi().hset(this.key, ...marks.flatMap((mark) => [mark.subscriptionId, `${mark.version}:${at}`]));
    for (const mark of marks) multi.hset(this.outboxKey(mark.subscriptionId), token, JSON.stringify(mark.outbox));
    await this.guard('mark', () => execOrThrow(multi));
  }

  /** The outboxes marked under these tokens (each subscription's stored write token); a missing one owes nothing. */
  async outboxesOf(tokens: ReadonlyMap<string, string>): Promise<Map<string, readonly OutboxEntry[]>> {
    if (tokens.size === 0) return new Map();
    const entries = [...tokens];
    const pipeline = this.redis.pipeline();
    for (const [id, token] of entries) pipeline.hget(this.outboxKey(id), token);
    const values = await this.guard('read outbox', () => execOrThrow(pipeline));
    const found = new Map<string, readonly OutboxEntry[]>();
    entries.forEach(([id], index) => {
      const value = values[index];
      if (typeof value === 'string') found.set(id, JSON.parse(value) as readonly OutboxEntry[]);
    });
    return found;
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

  /** Drops the marks and every outbox of these subscriptions (a lost racer's too): nothing of theirs is owed any more. */
  async unmark(subscriptionIds: readonly string[]): Promise<void> {
    if (subscriptionIds.length === 0) return;
    const multi = this.redis.multi().hdel(this.key, ...subscriptionIds);
    for (const id of subscriptionIds) multi.del(this.outboxKey(id));
    await this.guard('unmark', () => execOrThrow(multi));
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

/** A MULTI's or pipeline's replies; the first command error, if any, is thrown (ioredis returns them in the array). */
async function execOrThrow(batch: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<unknown[]> {
  const replies = await batch.exec();
  if (replies === null) throw new Error('the Redis transaction was discarded');
  for (const [error] of replies) if (error !== null) throw error;
  return replies.map(([, value]) => value);
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
