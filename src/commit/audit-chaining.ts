import { linkRecords, type ChainHead } from '../domain';
import { sha256Bytes } from '../proof/digest';
import type { AuditDocument } from '../storage/audit.repository';
import type { OutboxEntry } from '../storage/outbox';
import type { PendingWrite } from '../storage/subscription.repository';

/** A commit's writes and stand-alone records, linked into their subscriptions' chains. */
export interface Chained {
  readonly writes: PendingWrite[];
  readonly audit: AuditDocument[];
  /**
   * The last record of each subscription not stored whose records came with no write: once the records are in, the
   * head moves to that record's link as stored (AuditRepository.moveUnstoredHeads).
   */
  readonly unstoredLast: Map<string, string>;
}

/**
 * Links every new audit record of a commit to its subscription's chain, before anything is marked or written, so an
 * outbox carried out again re-inserts identical records (ids and links fixed here). A write's records follow the head
 * in its state (the stored one: the caller holds the lease, so nobody else moves it) and the write stores the new
 * head; a subscription not stored yet follows the head `unstored` holds for it (audit_heads), as do records that come
 * with no write, which only subscriptions not stored have (a stored subscription's records always ride a write).
 */
export function chainCommit(
  writes: readonly PendingWrite[],
  audit: readonly AuditDocument[],
  unstored: ReadonlyMap<string, ChainHead>,
): Chained {
  const chainedWrites = writes.map((write): PendingWrite => {
    const id = write.state.subscriptionId;
    const start = write.state.auditHead ?? (write.expectedVersion === 0 ? (unstored.get(id) ?? null) : null);
    const entries = write.outbox.filter((entry) => entry.kind === 'audit');
    if (entries.length === 0) return write;
    const { records, head } = linkRecords(
      entries.map((entry) => ({ _id: entry.id, ...entry.record })),
      start,
      sha256Bytes,
    );
    const byId = new Map(records.map((record) => [record._id, record]));
    const outbox = write.outbox.map((entry): OutboxEntry => {
      if (entry.kind !== 'audit') return entry;
      const { _id: _ignored, ...record } = byId.get(entry.id) ?? { _id: entry.id, ...entry.record };
      return { ...entry, record };
    });
    return { ...write, state: head === null ? write.state : { ...write.state, auditHead: head }, outbox };
  });
  const unstoredLast = new Map<string, string>();
  const bySubscription = new Map<string, AuditDocument[]>();
  for (const record of audit) bySubscription.set(record.subscriptionId, [...(bySubscription.get(record.subscriptionId) ?? []), record]);
  const chainedAudit = [...bySubscription].flatMap(([id, records]) => {
    const linked = linkRecords(records, unstored.get(id) ?? null, sha256Bytes);
    const last = linked.records.at(-1);
    if (last !== undefined) unstoredLast.set(id, last._id);
    return linked.records;
  });
  return { writes: chainedWrites, audit: chainedAudit, unstoredLast };
}

/** The subscriptions whose chain starts from audit_heads: new ones, and those whose records come with no write. */
export function unstoredIn(writes: readonly PendingWrite[], audit: readonly AuditDocument[]): string[] {
  return [
    ...new Set([
      ...writes.filter((write) => write.expectedVersion === 0).map((write) => write.state.subscriptionId),
      ...audit.map((record) => record.subscriptionId),
    ]),
  ];
}
