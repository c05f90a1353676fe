import { chainCommit, unstoredIn } from '../../../src/commit/audit-chaining';
import { recordHash, type AuditRecord } from '../../../src/domain';
import { sha256Bytes } from '../../../src/proof/digest';
import type { OutboxEntry } from '../../../src/storage/outbox';
import { anAuditRecord, aSubscription, T0 } from '../../support/factories';

const record = (subscriptionId: string, n: number): AuditRecord =>
  anAuditRecord({
    subscriptionId,
    tenantId: 't',
    eventId: `e-${n}`,
    occurredAt: T0 + n,
    recordedAt: T0 + n,
    outcome: 'ignored',
    reason: 'no-change',
    statusBefore: null,
    statusAfter: null,
  });
const audit = (id: string, r: AuditRecord): OutboxEntry => ({ id, kind: 'audit', record: r });

describe('chainCommit', () => {
  const stored = aSubscription({ subscriptionId: 's-stored', auditHead: { seq: 7, hash: 'sha256:head' } });

  it("links a write's records after the head in its state and stores the new head with the write", () => {
    const effect: OutboxEntry = {
      id: 'fx',
      kind: 'effect',
      effect: { kind: 'cancel-deletion', subscriptionId: 's', generation: 1, reminders: [] },
    };
    const { writes } = chainCommit(
      [{ state: stored, expectedVersion: 3, outbox: [effect, audit('a1', record('s-stored', 1)), audit('a2', record('s-stored', 2))] }],
      [],
      new Map(),
    );
    const outbox = writes[0]!.outbox;
    expect(outbox[0]).toEqual(effect);
    const linked = outbox.flatMap((entry) => (entry.kind === 'audit' ? [{ _id: entry.id, ...entry.record }] : []));
    // A record's hash is not stored: the next record's prev and the head name it, recomputed from its content.
    const hashes = linked.map((record) => recordHash(record, sha256Bytes));
    expect(linked.map((record) => [record.chain?.seq, record.chain?.prev])).toEqual([
      [8, 'sha256:head'],
      [9, hashes[0]],
    ]);
    expect(writes[0]!.state.auditHead).toEqual({ seq: 9, hash: hashes[1] });
  });

  it("keeps the links of an owed outbox's records, and a new subscription starts from its audit_heads head", () => {
    const first = chainCommit([], [{ _id: 'n1', ...record('s-new', 1) }], new Map()).audit[0]!;
    expect(first.chain).toMatchObject({ seq: 1, prev: null });
    const fresh = aSubscription({ subscriptionId: 's-new' });
    const { writes } = chainCommit(
      [{ state: fresh, expectedVersion: 0, outbox: [audit('n2', record('s-new', 2))] }],
      [],
      new Map([['s-new', { seq: 1, hash: recordHash(first, sha256Bytes)! }]]),
    );
    expect(writes[0]!.state.auditHead?.seq).toBe(2);
    const again = chainCommit([{ state: stored, expectedVersion: 4, outbox: writes[0]!.outbox }], [], new Map());
    expect(again.writes[0]!.outbox).toEqual(writes[0]!.outbox);
  });

  it('names the last record of a subscription whose records come with no write (its audit_heads head moves there), and asks only for those', () => {
    const result = chainCommit(
      [],
      [
        { _id: 'x1', ...record('s-x', 1) },
        { _id: 'x2', ...record('s-x', 2) },
      ],
      new Map([['s-x', { seq: 4, hash: 'h4' }]]),
    );
    expect(result.audit.map((r) => r.chain?.seq)).toEqual([5, 6]);
    expect(result.unstoredLast).toEqual(new Map([['s-x', 'x2']]));
    expect(unstoredIn([{ state: stored, expectedVersion: 3, outbox: [] }], [{ _id: 'x1', ...record('s-x', 1) }])).toEqual(['s-x']);
    expect(unstoredIn([{ state: stored, expectedVersion: 0, outbox: [] }], [])).toEqual(['s-stored']);
  });
});
