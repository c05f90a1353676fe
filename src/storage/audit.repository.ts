import type { Collection, Connection } from 'mongoose';

import { recordHash, type AuditRecord, type ChainHead } from '../domain';
import { sha256Bytes } from '../proof/digest';
import { stableId } from './ids';
import { duplicateKeyIndexes } from './duplicate-key';
import { ensureIndexes } from './indexes';
import { mongoCall, mongoFailure } from './mongo-errors';

/** A record as stored; its `chain` link (src/domain/audit-chain.ts) is absent on records from before the chain. */
export interface AuditDocument extends AuditRecord {
  readonly _id: string;
}

/** How many of a subscription's records a chain read returns at most: far more than a subscription's lifetime makes. */
export const CHAIN_READ_LIMIT = 100_000;

export const AUDIT = 'audit_records';
/** The chain heads of subscriptions that have audit records but no stored document (every event for them changed nothing). */
export const AUDIT_HEADS = 'audit_heads';

interface HeadDocument extends ChainHead {
  readonly _id: string;
}

/** Upserts per bulk: FerretDB's limit for bulk writes (store-dialect.ts), harmless on MongoDB for a rare write. */
const HEADS_CHUNK = 20;

/** The id prefix of an "applied" record that found its event's record already there (see `append`). */
const AGAIN = 'again.';

/** The append-only audit trail. Ids are deterministic, so writing a record twice keeps one. */
export class AuditRepository {
  private readonly collection: Collection<AuditDocument>;
  private readonly heads: Collection<HeadDocument>;

  constructor(connection: Connection) {
    this.collection = connection.collection<AuditDocument>(AUDIT);
    this.heads = connection.collection<HeadDocument>(AUDIT_HEADS);
  }

  /**
   * The chain heads of subscriptions not stored: one exact-`_id` read (`$in`), served by the `_id` index on MongoDB
   * and on our patched FerretDB. A stored subscription's head is in its document, never here.
   */
  async unstoredHeads(subscriptionIds: readonly string[]): Promise<Map<string, ChainHead>> {
    if (subscriptionIds.length === 0) return new Map();
    const docs = await mongoCall({ op: 'unstoredHeads', collection: AUDIT_HEADS, count: subscriptionIds.length }, () =>
      this.heads.find({ _id: { $in: [...subscriptionIds] } }, { batchSize: subscriptionIds.length + 1 }).toArray(),
    );
    return new Map(docs.map((doc) => [doc._id, { seq: doc.seq, hash: doc.hash }]));
  }

  /**
   * Moves the heads of subscriptions not stored to their last records (by id) as stored, once the records are in (rare:
   * only events that change nothing). As stored, not as just linked: after a crash between the insert and this move,
   * the redelivered events' records keep the ids, and the first links, of those already in.
   */
  async moveUnstoredHeads(lastRecords: ReadonlyMap<string, string>): Promise<void> {
    if (lastRecords.size === 0) return;
    const ids = [...lastRecords.values()];
    // Whole records: a record's hash is not stored, it is recomputed from its content (src/domain/audit-chain.ts).
    const stored = await mongoCall({ op: 'moveUnstoredHeads', collection: AUDIT, count: ids.length }, () =>
      this.collection.find({ _id: { $in: ids } }, { batchSize: ids.length + 1 }).toArray(),
    );
    await this.setUnstoredHeads(
      new Map(
        stored.flatMap((doc) => {
          const hash = recordHash(doc, sha256Bytes);
          return doc.chain === undefined || hash === null ? [] : [[doc.subscriptionId, { seq: doc.chain.seq, hash }]];
        }),
      ),
    );
  }

  private async setUnstoredHeads(heads: ReadonlyMap<string, ChainHead>): Promise<void> {
    const entries = [...heads];
    for (let start = 0; start < entries.length; start += HEADS_CHUNK) {
      const chunk = entries.slice(start, start + HEADS_CHUNK);
      await mongoCall({ op: 'setUnstoredHeads', collection: AUDIT_HEADS, count: chunk.length }, () =>
        this.heads.bulkWrite(
          chunk.map(([_id, head]) => ({ replaceOne: { filter: { _id }, replacement: { seq: head.seq, hash: head.hash }, upsert: true } })),
          { ordered: true },
        ),
      );
    }
  }

  /** The head of a subscription not stored, if it has one. */
  async unstoredHead(subscriptionId: string): Promise<ChainHead | null> {
    return (await this.unstoredHeads([subscriptionId])).get(subscriptionId) ?? null;
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.collection, [
      { key: { subscriptionId: 1, recordedAt: 1 } },
      { key: { eventId: 1 } },
      { key: { subscriptionId: 1, 'chain.seq': 1 } },
    ]);
  }

  /**
   * Inserts the records; one already stored is kept as it is (a commit carried out again after a crash repeats its
   * records exactly). An "applied" record whose id is taken by a different one would be an event applied a second
   * time: it is stored under an id of its own, marked, so the trail shows it instead of swallowing it.
   */
  async append(records: readonly AuditDocument[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.collection.insertMany([...records], { ordered: false });
    } catch (error) {
      const taken = duplicateKeyIndexes(error, { op: 'insertMany', collection: AUDIT, count: records.length }).flatMap(
        (index) => records[index] ?? [],
      );
      const again = await this.secondApplications(taken);
      if (again.length > 0) await this.append(again);
    }
  }

  private async secondApplications(records: readonly AuditDocument[]): Promise<AuditDocument[]> {
    const applied = records.filter((record) => record.outcome === 'applied' && !record._id.startsWith(AGAIN));
    let stored: (Pick<AuditDocument, '_id' | 'recordedAt'> | null)[];
    try {
      stored = await Promise.all(applied.map((record) => this.collection.findOne({ _id: record._id }, { projection: { recordedAt: 1 } })));
    } catch (error) {
      throw mongoFailure(error, { op: 'findOne', collection: AUDIT, count: applied.length });
    }
    return applied.flatMap((record, index) =>
      stored[index] === null || stored[index]?.recordedAt === record.recordedAt
        ? []
        : [{ ...record, _id: `${AGAIN}${stableId(record._id, record.recordedAt)}`, reason: `applied again: ${record.reason}` }],
    );
  }

  /** Which of these record ids are stored: exact-`{_id}` reads, which both MongoDB and (patched) FerretDB serve from the `_id` index. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    // One statement per slice, served by the _id index (FerretDB patch 0002 as for subscriptions), in one batch. Busy
    // subscriptions (16 events or more) ask for every new event, so one read per candidate would be one per event.
    try {
      const unique = [...new Set(ids)];
      const found = await this.collection
        .find({ _id: { $in: unique } }, { projection: { _id: 1 }, batchSize: unique.length + 1 })
        .toArray();
      return new Set(found.map((doc) => doc._id));
    } catch (error) {
      throw mongoFailure(error, { op: 'existing', collection: AUDIT, count: ids.length });
    }
  }

  /** The newest `limit` records of a subscription, oldest first: what an operator looking at it now wants to read. */
  async trail(subscriptionId: string, limit = 1_000): Promise<AuditDocument[]> {
    const newestFirst = await mongoCall({ op: 'trail', collection: AUDIT, subscriptionId }, () =>
      this.collection.find({ subscriptionId }).sort({ recordedAt: -1, _id: -1 }).limit(limit).toArray(),
    );
    return newestFirst.reverse();
  }

  /**
   * Every record of a subscription in chain order: records from before the chain first (by time), then the chained ones
   * by `seq`. What chain verification and the deletion certificate read.
   */
  async chainOf(subscriptionId: string): Promise<AuditDocument[]> {
    return await mongoCall({ op: 'chainOf', collection: AUDIT, subscriptionId }, () =>
      this.collection.find({ subscriptionId }).sort({ 'chain.seq': 1, recordedAt: 1, _id: 1 }).limit(CHAIN_READ_LIMIT).toArray(),
    );
  }

  async byEventId(eventId: string): Promise<AuditDocument[]> {
    return await mongoCall({ op: 'byEventId', collection: AUDIT, eventId }, () =>
      this.collection.find({ eventId }).sort({ recordedAt: 1 }).toArray(),
    );
  }
}
