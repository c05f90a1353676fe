import { randomUUID } from 'node:crypto';

import type { Collection, Connection } from 'mongoose';

import type { Millis, Status, Subscription, TimerView } from '../domain';
import { duplicateKeyIndexes } from './duplicate-key';
import { ensureIndexes } from './indexes';
import { mongoCall, mongoFailure } from './mongo-errors';
import type { OutboxEntry } from './outbox';
import { DIALECTS, type StoreDialect } from './store-dialect';

/**
 * What MongoDB stores: the domain state, a version for optimistic concurrency, and the outbox of the write that made
 * this version (owed only while the pending-effects mark in Redis names this version: src/commit/pending-effects.ts).
 */
export interface SubscriptionDocument extends Subscription {
  readonly _id: string;
  readonly version: number;
  readonly outbox: readonly OutboxEntry[];
  /** Unique per write attempt; tells a writer, after an unordered bulk write, which of its writes won. */
  readonly writeToken: string;
}

export interface Stored {
  readonly state: Subscription;
  readonly version: number;
  readonly outbox: readonly OutboxEntry[];
}

export interface PendingWrite {
  readonly state: Subscription;
  /** 0 for a subscription not stored yet. */
  readonly expectedVersion: number;
  readonly outbox: readonly OutboxEntry[];
}

export const SUBSCRIPTIONS = 'subscriptions';

function toStored(doc: SubscriptionDocument): Stored {
  const { _id: _ignoredId, version, outbox, writeToken: _ignoredToken, ...state } = doc;
  return { state, version, outbox };
}

function toDocument(write: PendingWrite, token: string): SubscriptionDocument {
  return { _id: write.state.subscriptionId, ...write.state, version: write.expectedVersion + 1, outbox: write.outbox, writeToken: token };
}

/**
 * Subscriptions in MongoDB. Every write is a whole-document replace of the version it read: single-document
 * atomicity is all FerretDB and MongoDB both promise without transactions. How the replace is filtered and bulked is
 * the store's dialect (store-dialect.ts): `{_id, version}` on MongoDB, where a write that lost a race is found and
 * retried; `{_id}` on FerretDB, where the per-subscription lock and Redis lease are the only guard.
 */
export class SubscriptionRepository {
  private readonly collection: Collection<SubscriptionDocument>;

  /** @param dialect how this server is written; MongoDB's unless told (openStores detects it). */
  constructor(
    connection: Connection,
    readonly dialect: StoreDialect = DIALECTS.mongodb,
  ) {
    this.collection = connection.collection<SubscriptionDocument>(SUBSCRIPTIONS);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.collection, [
      { key: { status: 1 } },
      { key: { 'deletion.dueAt': 1 } },
      { key: { tenantId: 1, customerId: 1 } },
      // The console's search by customer alone (the compound index above serves a tenant).
      { key: { customerId: 1 } },
    ]);
  }

  async get(subscriptionId: string): Promise<Stored | null> {
    try {
      const doc = await this.collection.findOne({ _id: subscriptionId });
      return doc === null ? null : toStored(doc);
    } catch (error) {
      throw mongoFailure(error, { op: 'get', collection: SUBSCRIPTIONS, subscriptionId });
    }
  }

  async load(subscriptionIds: readonly string[]): Promise<Map<string, Stored>> {
    // One statement per slice, served by the _id index on MongoDB and on our patched FerretDB (patch 0002). One batch:
    // no server cursor is left open if this process dies between batches.
    try {
      const docs = await this.collection.find({ _id: { $in: [...subscriptionIds] } }, { batchSize: subscriptionIds.length + 1 }).toArray();
      return new Map(docs.map((doc) => [doc._id, toStored(doc)]));
    } catch (error) {
      throw mongoFailure(error, { op: 'load', collection: SUBSCRIPTIONS, count: subscriptionIds.length });
    }
  }

  /** Writes every pending state whose stored version is still the expected one; returns the ids that lost a race. */
  async write(writes: readonly PendingWrite[]): Promise<Set<string>> {
    const token = randomUUID();
    const conflicts = new Set<string>();
    const inserts = writes.filter((write) => write.expectedVersion === 0);
    const replaces = writes.filter((write) => write.expectedVersion > 0);
    if (inserts.length > 0) {
      try {
        await this.collection.insertMany(
          inserts.map((write) => toDocument(write, token)),
          { ordered: false },
        );
      } catch (error) {
        for (const index of duplicateKeyIndexes(error, { op: 'insertMany', collection: SUBSCRIPTIONS, count: inserts.length })) {
          const write = inserts[index];
          if (write !== undefined) conflicts.add(write.state.subscriptionId);
        }
      }
    }
    for (const chunk of chunks(replaces, this.dialect.bulkChunk)) {
      try {
        await this.replace(chunk, token, conflicts);
      } catch (error) {
        throw mongoFailure(error, { op: 'bulkWrite', collection: SUBSCRIPTIONS, count: chunk.length });
      }
    }
    return conflicts;
  }

  /**
   * One bulk of replaces; adds the ids that lost a race to `conflicts`. A replace whose `{_id, version}` filter matched
   * nothing lost: another writer stored a newer version since our read. The bulk's counts do not say which, so the
   * writes that carry this attempt's token are the winners and the others lost.
   */
  private async replace(chunk: readonly PendingWrite[], token: string, conflicts: Set<string>): Promise<void> {
    const { filterByIdOnly } = this.dialect;
    const result = await this.collection.bulkWrite(
      chunk.map((write) => ({
        replaceOne: {
          filter: filterByIdOnly
            ? { _id: write.state.subscriptionId }
            : { _id: write.state.subscriptionId, version: write.expectedVersion },
          replacement: toDocument(write, token),
        },
      })),
      { ordered: false },
    );
    if (result.matchedCount < chunk.length) {
      const ids = chunk.map((write) => write.state.subscriptionId);
      const winners = await this.collection
        .find({ _id: { $in: ids }, writeToken: token }, { projection: { _id: 1 }, batchSize: ids.length + 1 })
        .toArray();
      const won = new Set(winners.map((doc) => doc._id));
      for (const id of ids) if (!won.has(id)) conflicts.add(id);
    }
  }

  /**
   * Every subscription with a deletion timer, in pages, from one cursor: one pass over the collection. Keyset pages
   * (`_id > last`, sorted) would be cheaper on MongoDB, but FerretDB on SQLite scans and sorts the whole collection
   * for each one, which over a million subscriptions never ends. A document written during the pass may be seen in
   * either state, or twice; the reconciler is idempotent and runs again.
   */
  async *scanWithTimers(pageSize: number): AsyncGenerator<TimerView[]> {
    // Only what a timer depends on: a quarter of the bytes to encode, send and decode per subscription.
    const cursor = this.collection.find<TimerView>(
      { deletion: { $ne: null } },
      { batchSize: pageSize, projection: { _id: 0, subscriptionId: 1, status: 1, deletion: 1, legalHold: 1 } },
    );
    let page: TimerView[] = [];
    try {
      for await (const view of cursor) {
        page.push(view);
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    } catch (error) {
      throw mongoFailure(error, { op: 'scanWithTimers', collection: SUBSCRIPTIONS });
    } finally {
      await cursor.close();
    }
  }

  /** Pending deletions due before `dueBefore`, by (dueAt, id), after an optional cursor. */
  async dueForDeletion(dueBefore: Millis, limit: number, after?: { dueAt: Millis; subscriptionId: string }): Promise<Subscription[]> {
    const range = { 'deletion.dueAt': { $lt: dueBefore } };
    const filter =
      after === undefined
        ? range
        : {
            ...range,
            $or: [{ 'deletion.dueAt': { $gt: after.dueAt } }, { 'deletion.dueAt': after.dueAt, _id: { $gt: after.subscriptionId } }],
          };
    const docs = await mongoCall({ op: 'dueForDeletion', collection: SUBSCRIPTIONS }, () =>
      this.collection.find(filter).sort({ 'deletion.dueAt': 1, _id: 1 }).limit(limit).toArray(),
    );
    return docs.map((doc) => toStored(doc).state);
  }

  async isEmpty(): Promise<boolean> {
    const any = await mongoCall({ op: 'isEmpty', collection: SUBSCRIPTIONS }, () =>
      this.collection.findOne({}, { projection: { _id: 1 } }),
    );
    return any === null;
  }

  async countByStatus(): Promise<Record<Status, number>> {
    const rows = await mongoCall({ op: 'countByStatus', collection: SUBSCRIPTIONS }, () =>
      this.collection.aggregate<{ _id: Status; count: number }>([{ $group: { _id: '$status', count: { $sum: 1 } } }]).toArray(),
    );
    const counts: Record<Status, number> = { active: 0, suspended: 0, cancelled: 0, deleted: 0 };
    for (const row of rows) counts[row._id] = row.count;
    return counts;
  }

  /**
   * Pending deletions due before `dueBefore`, counted per due instant, soonest first. FerretDB v1 has no arithmetic or
   * date operators (`$subtract`, `$mod`, `$dateToString` are "not implemented"), so the server groups by the instant
   * and the caller folds instants into days; a slice suspended together shares one instant, one row.
   */
  async countDeletionsByDueAt(dueBefore: Millis): Promise<{ dueAt: Millis; count: number }[]> {
    const rows = await mongoCall({ op: 'countDeletionsByDueAt', collection: SUBSCRIPTIONS }, () =>
      this.collection
        .aggregate<{ _id: Millis; count: number }>([
          { $match: { 'deletion.dueAt': { $lt: dueBefore } } },
          { $group: { _id: '$deletion.dueAt', count: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ])
        .toArray(),
    );
    return rows.map((row) => ({ dueAt: row._id, count: row.count }));
  }

  // Read-only queries for the ops console and metrics (docs/operations.md).

  /** Subscriptions of one customer or one tenant, by id, at most `limit`: the console's search. */
  async findBy(field: 'customerId' | 'tenantId', value: string, limit: number): Promise<Subscription[]> {
    const docs = await mongoCall({ op: 'findBy', collection: SUBSCRIPTIONS, field }, () =>
      this.collection
        .find({ [field]: value })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray(),
    );
    return docs.map((doc) => toStored(doc).state);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
