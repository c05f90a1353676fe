import { randomUUID } from 'node:crypto';

import type { Collection, Connection } from 'mongoose';

import { ensureIndexes } from './indexes';
import { mongoCall } from './mongo-errors';

export const PARTITION_SKIPS = 'partition_skips';

/** A batch the worker moved past under an approval: which offsets, and when. */
export interface SkippedBatch {
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly at: number;
}

/**
 * An operator's approval to move one partition past record batches it cannot decode, within an offset range. It is
 * the audit record of the decision too: who, why, when, and every batch it let through. Never deleted.
 */
export interface PartitionSkip {
  readonly _id: string;
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit: kept as decimal strings, compared as BigInt. */
  readonly fromOffset: string;
  readonly toOffset: string;
  readonly actor: string;
  readonly reason: string;
  readonly requestedAt: number;
  readonly skipped: readonly SkippedBatch[];
}

export type NewPartitionSkip = Omit<PartitionSkip, '_id' | 'requestedAt' | 'skipped'>;

/** At most this many approvals are read per lookup: a partition has a handful over its life. */
const MAX_OPEN_PER_PARTITION = 100;

/**
 * Approvals, in MongoDB so that whichever replica owns the partition when it meets the batch carries the approval
 * out (an operator's request may reach any replica). The runner reads them only for a batch it cannot decode.
 */
export class PartitionSkipRepository {
  private readonly collection: Collection<PartitionSkip>;

  constructor(
    connection: Connection,
    private readonly clock: () => number = Date.now,
  ) {
    this.collection = connection.collection<PartitionSkip>(PARTITION_SKIPS);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.collection, [{ key: { topic: 1, partition: 1, requestedAt: 1 } }]);
  }

  async approve(skip: NewPartitionSkip): Promise<PartitionSkip> {
    const stored: PartitionSkip = { _id: randomUUID(), ...skip, requestedAt: this.clock(), skipped: [] };
    await mongoCall({ op: 'insertOne', collection: PARTITION_SKIPS }, () => this.collection.insertOne(stored));
    return stored;
  }

  /** The oldest approval whose range holds the whole batch. */
  async find(
    topic: string,
    partition: number,
    firstOffset: string,
    lastOffset: string,
  ): Promise<{ id: string; actor: string; reason: string } | null> {
    const candidates = await mongoCall({ op: 'find', collection: PARTITION_SKIPS }, () =>
      this.collection.find({ topic, partition }).sort({ requestedAt: 1 }).limit(MAX_OPEN_PER_PARTITION).toArray(),
    );
    const first = BigInt(firstOffset);
    const last = BigInt(lastOffset);
    const found = candidates.find((skip) => BigInt(skip.fromOffset) <= first && last <= BigInt(skip.toOffset));
    return found === undefined ? null : { id: found._id, actor: found.actor, reason: found.reason };
  }

  async carriedOut(id: string, batch: { firstOffset: string; lastOffset: string }): Promise<void> {
    const entry: SkippedBatch = { firstOffset: batch.firstOffset, lastOffset: batch.lastOffset, at: this.clock() };
    await mongoCall({ op: 'updateOne', collection: PARTITION_SKIPS }, () =>
      this.collection.updateOne({ _id: id }, { $push: { skipped: entry } }),
    );
  }

  /** Newest first. */
  async list(limit: number): Promise<PartitionSkip[]> {
    return await mongoCall({ op: 'find', collection: PARTITION_SKIPS }, () =>
      this.collection.find({}).sort({ requestedAt: -1 }).limit(limit).toArray(),
    );
  }
}
