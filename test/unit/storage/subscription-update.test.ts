import {
  subscriptionDocument,
  subscriptionUpdate,
  type PendingWrite,
  type Stored,
  type StoredDocument,
} from '../../../src/storage/subscription.repository';
import { aSubscription, HOUR, T0 } from '../../support/factories';

/** A stored version with its document as read (of the current shape). */
const stored = (overrides: Partial<Stored> = {}): Stored & { document: StoredDocument } => {
  const version: Stored = { state: aSubscription(), version: 3, writeToken: 'earlier', legacyOutbox: [], ...overrides };
  return {
    ...version,
    document: subscriptionDocument({ state: version.state, expectedVersion: version.version - 1, outbox: [] }, version.writeToken),
  };
};

/** What MongoDB does with the update: each `$set` field replaced whole, each `$unset` field removed. */
function applied(doc: Record<string, unknown>, update: NonNullable<ReturnType<typeof subscriptionUpdate>>): Record<string, unknown> {
  const removed = new Set(Object.keys(update.$unset ?? {}));
  return Object.fromEntries(Object.entries({ ...doc, ...update.$set }).filter(([key]) => !removed.has(key)));
}

const storedDocument = (base: { document: StoredDocument }) => base.document as unknown as Record<string, unknown>;

describe('subscriptionUpdate: a stored subscription written by what changed', () => {
  it('sets only the fields that differ, and the result is the whole new document', () => {
    const base = stored();
    const write: PendingWrite = {
      state: { ...base.state, status: 'suspended', holds: [{ reason: 'nonpayment', since: T0, refs: ['inv-1'] }], updatedAt: T0 + HOUR },
      expectedVersion: 3,
      outbox: [],
      base: base.document,
    };
    const update = subscriptionUpdate(write, 'now');
    expect(update).not.toBeNull();
    expect(Object.keys(update!.$set).sort()).toEqual(['holds', 'status', 'updatedAt', 'version', 'writeToken']);
    expect(update).not.toHaveProperty('$unset');
    expect(applied(storedDocument(base), update!)).toEqual(subscriptionDocument(write, 'now'));
  });

  it('removes a field the new state no longer has', () => {
    const base = stored({ state: { ...aSubscription(), auditHead: { seq: 1, hash: 'h' } } });
    const { auditHead: _gone, ...state } = base.state;
    const write: PendingWrite = { state, expectedVersion: 3, outbox: [], base: base.document };
    const update = subscriptionUpdate(write, 'now');
    expect(update?.$unset).toEqual({ auditHead: '' });
    expect(applied(storedDocument(base), update!)).toEqual(subscriptionDocument(write, 'now'));
  });

  it('sets a field the base lacks even when it is undefined; null and undefined compare equal, as the driver stores both', () => {
    const base = stored({ state: aSubscription({ receipt: null }) });
    const write: PendingWrite = {
      state: { ...base.state, receipt: undefined as never, auditHead: undefined },
      expectedVersion: 3,
      outbox: [],
      base: base.document,
    };
    const update = subscriptionUpdate(write, 'earlier');
    expect(update?.$set).toHaveProperty('auditHead');
    expect(update?.$set).not.toHaveProperty('receipt');
  });

  it('replaces the whole document when the base is unknown or of an older shape', () => {
    const write: PendingWrite = { state: aSubscription(), expectedVersion: 3, outbox: [] };
    expect(subscriptionUpdate(write, 'now')).toBeNull();
    const { document } = stored();
    expect(subscriptionUpdate({ ...write, base: { ...document, outbox: [] } }, 'now')).toBeNull();
    expect(subscriptionUpdate({ ...write, base: { ...document, entryClocks: [{ key: 'k', at: T0 }] } }, 'now')).toBeNull();
  });
});
