import type { Collection, Connection, mongo } from 'mongoose';

import {
  eventFingerprint,
  FINGERPRINT_LENGTH,
  type EntryClock,
  type Millis,
  type Status,
  type Subscription,
  type TimerView,
} from '../domain';
import { duplicateKeyIndexes } from './duplicate-key';
import { ensureIndexes } from './indexes';
import { mongoCall, mongoFailure } from './mongo-errors';
import type { OutboxEntry } from './outbox';
import { DIALECTS, type StoreDialect } from './store-dialect';

/**
 * What MongoDB stores: the domain state, a version for optimistic concurrency and the token of the write that made it.
 * Nothing of its history beyond what the state bounds (issue 21): the effects a write owes live in Redis beside their
 * pending-effects mark (src/commit/pending-effects.ts), and recent events as one string of fixed-size fingerprints.
 */
export interface SubscriptionDocument extends Omit<Subscription, 'subscriptionId' | 'recentEvents' | 'entryClocks'> {
  /** The subscription id, stored once. */
  readonly _id: string;
  readonly version: number;
  /** The fingerprints of `Subscription.recentEvents`, concatenated (FINGERPRINT_LENGTH characters each). */
  readonly recentEvents: string;
  /** `Subscription.entryClocks`, each as one string (`encodeClock`): a third of the bytes of the objects. */
  readonly entryClocks: readonly string[];
  /** Unique per commit; tells a writer, after an unordered bulk write, which of its writes won, and names its outbox. */
  readonly writeToken: string;
}

/**
 * `at|topic|partition|offset|key`, the position's three fields empty when it has none. A topic name cannot hold `|`
 * and the others are numbers, so the key (which may) is everything after the fourth.
 */
export function encodeClock(clock: EntryClock): string {
  const { position } = clock;
  return `${clock.at}|${position?.topic ?? ''}|${position?.partition ?? ''}|${position?.offset ?? ''}|${clock.key}`;
}

/** The clock `encodeClock` wrote, or one of the object shape written before issue 21 as it is. */
export function decodeClock(stored: string | EntryClock): EntryClock {
  if (typeof stored !== 'string') return stored;
  const parts = stored.split('|');
  const [at = '', topic = '', partition = '', offset = ''] = parts;
  const key = parts.slice(4).join('|');
  return topic === '' ? { key, at: Number(at) } : { key, at: Number(at), position: { topic, partition: Number(partition), offset } };
}

/** Fields of documents written before issue 21, read so those documents keep working until their next write. */
interface LegacyFields {
  /** The outbox of the write that made this version, stored in the document itself. */
  readonly outbox?: readonly OutboxEntry[];
  /** Whole event ids, before fingerprints. */
  readonly recentEventIds?: readonly string[];
}

/** A document as read: of the current shape, or of an older one (toStored reads both). */
export type StoredDocument = Omit<SubscriptionDocument, 'recentEvents' | 'entryClocks'> &
  LegacyFields & {
    readonly recentEvents?: string;
    readonly entryClocks: readonly (string | EntryClock)[];
    readonly subscriptionId?: string;
  };

export interface Stored {
  readonly state: Subscription;
  readonly version: number;
  readonly writeToken: string;
  /** An outbox stored in a document of the old shape; owed only while marked, like one in Redis. */
  readonly legacyOutbox: readonly OutboxEntry[];
  /** The document as read, which a write decided on this version sends its changes against (subscriptionUpdate). */
  readonly document?: StoredDocument;
}

export interface PendingWrite {
  readonly state: Subscription;
  /** 0 for a subscription not stored yet. */
  readonly expectedVersion: number;
  /** The effects and audit records this write owes: kept in Redis by the commit path, never in the document. */
  readonly outbox: readonly OutboxEntry[];
  /** The document this write was decided on, as read, when the writer has it: the write then sends what changed. */
  readonly base?: StoredDocument;
}

export const SUBSCRIPTIONS = 'subscriptions';

function splitFingerprints(joined: string): string[] {
  const out: string[] = [];
  for (let start = 0; start + FINGERPRINT_LENGTH <= joined.length; start += FINGERPRINT_LENGTH)
    out.push(joined.slice(start, start + FINGERPRINT_LENGTH));
  return out;
}

function toStored(doc: StoredDocument): Stored {
  const { _id, subscriptionId: _stored, version, writeToken, outbox, recentEventIds, recentEvents, entryClocks, ...rest } = doc;
  const recent = recentEvents === undefined ? (recentEventIds ?? []).map(eventFingerprint) : splitFingerprints(recentEvents);
  return {
    state: { subscriptionId: _id, ...rest, entryClocks: entryClocks.map(decodeClock), recentEvents: recent },
    version,
    writeToken,
    legacyOutbox: outbox ?? [],
    document: doc,
  };
}

/**
 * The update that turns the stored document `write.base` into `toDocument(write, token)`: `$set` of every top-level
 * field whose value differs, `$unset` of any the new one lacks. On MongoDB an update's oplog entry holds the changed
 * fields, where a replacement's holds the whole document, and so does every secondary's copy of it; a write that only
 * moves the audit chain's head sends a tenth of the bytes. Null when the base is unknown or of an older shape: that
 * write replaces the whole document (read the old shape, write the new). A field compared unequal only costs bytes,
 * never correctness, since it is set anew.
 */
export function subscriptionUpdate(
  write: PendingWrite,
  token: string,
): { $set: Partial<SubscriptionDocument>; $unset?: Record<string, ''> } | null {
  const { base } = write;
  if (base === undefined || !ofCurrentShape(base)) return null;
  const next: Record<string, unknown> = { ...toDocument(write, token) };
  const before: Record<string, unknown> = { ...base };
  const $set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (key !== '_id' && !(key in before && sameValue(value, before[key]))) $set[key] = value;
  }
  const gone = Object.keys(before).filter((key) => !(key in next));
  const update = { $set: $set as Partial<SubscriptionDocument> };
  return gone.length === 0 ? update : { ...update, $unset: Object.fromEntries(gone.map((key) => [key, ''])) };
}

/** No field of an older shape (LegacyFields, a stored subscriptionId, clocks as objects). */
function ofCurrentShape(doc: StoredDocument): boolean {
  return (
    doc.outbox === undefined &&
    doc.recentEventIds === undefined &&
    doc.subscriptionId === undefined &&
    typeof doc.recentEvents === 'string' &&
    doc.entryClocks.every((clock) => typeof clock === 'string')
  );
}

/**
 * Equal as stored: the domain's values are JSON (strings, numbers, booleans, null, arrays, plain objects). The driver
 * stores an undefined value as null, so undefined is compared as null, never as absent: any doubt sets the field.
 */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || asStored(a) === asStored(b);
}

function asStored(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (inner === undefined ? null : inner));
}

function toDocument(write: PendingWrite, token: string): SubscriptionDocument {
  const { subscriptionId, ...state } = write.state;
  return {
    _id: subscriptionId,
    ...state,
    recentEvents: state.recentEvents.join(''),
    entryClocks: state.entryClocks.map(encodeClock),
    version: write.expectedVersion + 1,
    writeToken: token,
  };
}

/** A document as stored for `write`: what the benchmark's floor writes and what tests size. */
export const subscriptionDocument = toDocument;

/**
 * Subscriptions in MongoDB. Every write replaces the version it read as one single-document update (all FerretDB and
 * MongoDB both promise without transactions): by its changed fields where the writer read it in the current shape
 * (subscriptionUpdate), else whole. How the write is filtered and bulked is
 * the store's dialect (store-dialect.ts): `{_id, version}` on MongoDB, where a write that lost a race is found and
 * retried; `{_id}` on FerretDB, where the per-subscription lock and Redis lease are the only guard.
 */
export class SubscriptionRepository {
  private readonly collection: Collection<StoredDocument>;

  /** @param dialect how this server is written; MongoDB's unless told (openStores detects it). */
  constructor(
    connection: Connection,
    readonly dialect: StoreDialect = DIALECTS.mongodb,
  ) {
    this.collection = connection.collection<StoredDocument>(SUBSCRIPTIONS);
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

  /**
   * Writes every pending state whose stored version is still the expected one, under the commit's token; returns the
   * ids that lost a race.
   */
  async write(writes: readonly PendingWrite[], token: string): Promise<Set<string>> {
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
   * One bulk of writes (an update of the changed fields where the base is known, else a replace); adds the ids that
   * lost a race to `conflicts`. A write whose `{_id, version}` filter matched
   * nothing lost: another writer stored a newer version since our read. The bulk's counts do not say which, so the
   * writes that carry this attempt's token are the winners and the others lost.
   */
  private async replace(chunk: readonly PendingWrite[], token: string, conflicts: Set<string>): Promise<void> {
    const { filterByIdOnly } = this.dialect;
    const result = await this.collection.bulkWrite(
      chunk.map((write) => {
        const filter = filterByIdOnly
          ? { _id: write.state.subscriptionId }
          : { _id: write.state.subscriptionId, version: write.expectedVersion };
        const update = subscriptionUpdate(write, token);
        return update === null ? { replaceOne: { filter, replacement: toDocument(write, token) } } : { updateOne: { filter, update } };
      }),
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
    const cursor = this.collection.find<Omit<TimerView, 'subscriptionId'> & { _id: string }>(
      { deletion: { $ne: null } },
      { batchSize: pageSize, projection: { _id: 1, status: 1, deletion: 1, legalHold: 1 } },
    );
    yield* pagesOf(cursor, pageSize, ({ _id, ...view }) => ({ subscriptionId: _id, ...view }), 'scanWithTimers');
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

  /** A tenant's pending deletions (scheduled, not claimed), in pages from one cursor: what a policy change may move. */
  async *pendingOfTenant(tenantId: string, pageSize: number): AsyncGenerator<Subscription[]> {
    const cursor = this.collection.find(
      { tenantId, status: { $in: ['suspended', 'cancelled'] }, deletion: { $ne: null } },
      { batchSize: pageSize },
    );
    yield* pagesOf(cursor, pageSize, (doc) => toStored(doc).state, 'pendingOfTenant');
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

/** A cursor's documents, mapped, in pages of `pageSize`; the cursor is closed however the caller stops. */
async function* pagesOf<D, T>(cursor: mongo.FindCursor<D>, pageSize: number, map: (doc: D) => T, op: string): AsyncGenerator<T[]> {
  let page: T[] = [];
  try {
    for await (const doc of cursor) {
      page.push(map(doc));
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  } catch (error) {
    throw mongoFailure(error, { op, collection: SUBSCRIPTIONS });
  } finally {
    await cursor.close();
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
