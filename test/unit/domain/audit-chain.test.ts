import { createHash } from 'node:crypto';

import { canonicalJson, linkRecords, verifyChain, type ChainedRecord, type ChainHead } from '../../../src/domain';
import { anAuditRecord, T0 } from '../../support/factories';

// The domain takes its hash function as an argument; the worker passes sha256Of (src/proof/digest.ts), the same as this.
const digest = (value: unknown): string => `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;

const record = (n: number, overrides: Partial<ChainedRecord> = {}): ChainedRecord => ({
  _id: `audit-${n}`,
  ...anAuditRecord({
    subscriptionId: 'sub-1',
    tenantId: 'tenant-1',
    eventId: `event-${n}`,
    occurredAt: T0 + n,
    recordedAt: T0 + n,
    reason: `change ${n}`,
  }),
  ...overrides,
});

/** Five records linked in two commits, as two writes would link them, and the head stored after the second. */
function chain(): { records: ChainedRecord[]; head: ChainHead | null } {
  const first = linkRecords([record(1), record(2)], null, digest);
  const second = linkRecords([record(3), record(4), record(5)], first.head, digest);
  return { records: [...first.records, ...second.records], head: second.head };
}

describe('the audit hash chain', () => {
  it('links records in order after the head, each naming the hash before it', () => {
    const { records, head } = chain();
    expect(records.map((r) => r.chain?.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records[0]?.chain?.prev).toBeNull();
    expect(records[3]?.chain?.prev).toBe(records[2]?.chain?.hash);
    expect(head).toEqual({ seq: 5, hash: records[4]?.chain?.hash });
    expect(verifyChain(records, head, digest)).toEqual({ chained: 5, unchained: 0, head, broken: null });
  });

  it('is deterministic, and keeps the links of records already linked (an owed outbox carried out again)', () => {
    const { records, head } = chain();
    expect(chain()).toEqual({ records, head });
    const again = linkRecords([records[3]!, records[4]!, record(6)], { seq: 3, hash: records[2]!.chain!.hash }, digest);
    expect(again.records.slice(0, 2)).toEqual(records.slice(3));
    expect(again.records[2]?.chain).toMatchObject({ seq: 6, prev: records[4]?.chain?.hash });
  });

  it('an edited field is named as an edit at its place', () => {
    const { records, head } = chain();
    records[2] = { ...records[2]!, reason: 'nothing happened' };
    expect(verifyChain(records, head, digest).broken).toMatchObject({ kind: 'edited', seq: 3, recordId: 'audit-3' });
  });

  it('a removed record is named, in the middle and at the end (where the stored head shows it)', () => {
    const { records, head } = chain();
    expect(verifyChain([...records.slice(0, 1), ...records.slice(2)], head, digest).broken).toMatchObject({ kind: 'removed', seq: 2 });
    expect(verifyChain(records.slice(0, 4), head, digest).broken).toMatchObject({ kind: 'removed', seq: 5, recordId: null });
  });

  it('two swapped records are named as reordered', () => {
    const { records, head } = chain();
    const [second, fourth] = [records[1]!, records[3]!];
    // Their links exchanged: each now sits at the other's place (the trail sorts by seq).
    const swapped = [records[0]!, { ...fourth, chain: second.chain }, records[2]!, { ...second, chain: fourth.chain }, records[4]!];
    expect(verifyChain(swapped, head, digest).broken).toMatchObject({ kind: 'reordered', seq: 2, recordId: 'audit-4' });
  });

  it('an inserted record is named: a second record at a place, an unlinked one after the chain began, one past the head', () => {
    const { records, head } = chain();
    const forged = { ...record(9), chain: records[2]!.chain };
    expect(verifyChain([...records.slice(0, 3), forged, ...records.slice(3)], head, digest).broken).toMatchObject({
      kind: 'inserted',
      seq: 3,
      recordId: 'audit-9',
    });
    expect(verifyChain([...records, record(9, { recordedAt: T0 + 100 })], head, digest).broken).toMatchObject({
      kind: 'inserted',
      recordId: 'audit-9',
    });
    const longer = linkRecords([record(6)], head, digest).records;
    expect(verifyChain([...records, ...longer], head, digest).broken).toMatchObject({ kind: 'inserted', seq: 6 });
  });

  it('records from before the chain are counted as unchained, not broken, and the chain after them starts at 1', () => {
    const legacy = [record(0, { recordedAt: T0 - 10 }), record(-1, { recordedAt: T0 - 20 })];
    const { records, head } = chain();
    expect(verifyChain([...legacy, ...records], head, digest)).toMatchObject({ chained: 5, unchained: 2, broken: null });
  });

  it('a subscription with no stored head and no chained records verifies as empty', () => {
    expect(verifyChain([record(1)], null, digest)).toEqual({ chained: 0, unchained: 1, head: null, broken: null });
  });
});
