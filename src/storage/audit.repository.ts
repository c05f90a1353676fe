import type { Collection, Connection } from 'mongoose';

import type { AuditRecord } from '../domain';
import { ensureIndexes } from './indexes';

export interface AuditDocument extends AuditRecord {
  readonly _id: string;
}

export const AUDIT = 'audit_records';

/** The append-only audit trail. Ids are deterministic, so writing a record twice keeps one. */
export class AuditRepository {
  private readonly collection: Collection<AuditDocument>;

  constructor(connection: Connection) {
    this.collection = connection.collection<AuditDocument>(AUDIT);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.collection, [{ key: { subscriptionId: 1, recordedAt: 1 } }, { key: { eventId: 1 } }]);
  }

  async append(records: readonly AuditDocument[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.collection.insertMany([...records], { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
      const list = Array.isArray(writeErrors) ? (writeErrors as { code?: number }[]) : [];
      if (list.length === 0 || list.some((entry) => entry.code !== 11000)) throw error;
    }
  }

  /** The newest `limit` records of a subscription, oldest first: what an operator looking at it now wants to read. */
  async trail(subscriptionId: string, limit = 1_000): Promise<AuditDocument[]> {
    const newestFirst = await this.collection.find({ subscriptionId }).sort({ recordedAt: -1, _id: -1 }).limit(limit).toArray();
    return newestFirst.reverse();
  }

  async byEventId(eventId: string): Promise<AuditDocument[]> {
    return await this.collection.find({ eventId }).sort({ recordedAt: 1 }).toArray();
  }
}
