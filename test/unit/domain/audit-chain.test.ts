import { createHash } from 'node:crypto';

import {
  asLeanDigest,
  canonicalJson,
  hexDigest,
  linkRecords,
  recordHash,
  verifyChain,
  type ChainedRecord,
  type ChainHead,
} from '../../../src/domain';
import { anAuditRecord, T0 } from '../../support/factories';

// The domain takes its hash function as an argument; the worker passes sha256Bytes (src/proof/digest.ts), the same as this.
const digest = (value: unknown): Buffer => createHash('sha256').update(canonicalJson(value)).digest();

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

type Linker = (records: ChainedRecord[], head: ChainHead | null) => { records: ChainedRecord[]; head: ChainHead | null };

const lean: Linker = (records, head) => linkRecords(records, head, digest);

/** How records were linked before issue 21: `sha256:<hex>`, each record carrying its own hash. Such records are still stored. */
const legacy: Linker = (records, head) => {
  let current = head;
  const linked = records.map((r) => {
    const chain = { seq: (current?.seq ?? 0) + 1, prev: current?.hash ?? null };
    const hash = hexDigest(digest({ ...r, chain }));
    current = { seq: chain.seq, hash };
    return { ...r, chain: { ...chain, hash } };
  });
  return { records: linked, head: current };
};

/** A record's hash as the next record's `prev` names it: stored on old records, recomputed on new ones. */
const hashOf = (r: ChainedRecord | undefined): string | undefined => r?.chain?.hash ?? recordHash(r!, digest) ?? undefined;

describe.each([
  ['records since issue 21 (base64url, no stored hash)', lean],
  ['records from before issue 21 (sha256:<hex>, with their hash)', legacy],
])('the audit hash chain of %s', (_shape, link) => {
  /** Five records linked in two commits, as two writes would link them, and the head stored after the second. */
  function chain(): { records: ChainedRecord[]; head: ChainHead | null } {
    const first = link([record(1), record(2)], null);
    const second = link([record(3), record(4), record(5)], first.head);
    return { records: [...first.records, ...second.records], head: second.head };
  }

  it('links records in order after the head, each naming the hash before it', () => {
    const { records, head } = chain();
    expect(records.map((r) => r.chain?.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records[0]?.chain?.prev).toBeNull();
    expect(records[3]?.chain?.prev).toBe(hashOf(records[2]));
    expect(head).toEqual({ seq: 5, hash: hashOf(records[4]) });
    expect(verifyChain(records, head, digest)).toEqual({ chained: 5, unchained: 0, head, broken: null });
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
    const longer = link([record(6)], head).records;
    expect(verifyChain([...records, ...longer], head, digest).broken).toMatchObject({ kind: 'inserted', seq: 6 });
  });

  it('records from before the chain are counted as unchained, not broken, and the chain after them starts at 1', () => {
    const old = [record(0, { recordedAt: T0 - 10 }), record(-1, { recordedAt: T0 - 20 })];
    const { records, head } = chain();
    expect(verifyChain([...old, ...records], head, digest)).toMatchObject({ chained: 5, unchained: 2, broken: null });
  });

  it('an edited last record is named (on new records, only the stored head can show it)', () => {
    const { records, head } = chain();
    records[4] = { ...records[4]!, reason: 'nothing happened' };
    expect(verifyChain(records, head, digest).broken).toMatchObject({ kind: 'edited', seq: 5 });
  });

  it('a changed link is named at the record whose link changed, not the one before it', () => {
    const { records, head } = chain();
    records[3] = { ...records[3]!, chain: { ...records[3]!.chain!, prev: hashOf(records[0])! } };
    expect(verifyChain(records, head, digest).broken).toMatchObject({ kind: 'edited', seq: 4, recordId: 'audit-4' });
  });
});

describe('the audit hash chain since issue 21', () => {
  it('stores only the place and the previous hash, in base64url (43 characters)', () => {
    const { records, head } = lean([record(1), record(2)], null);
    expect(Object.keys(records[1]!.chain!).sort()).toEqual(['prev', 'seq']);
    expect(records[1]!.chain!.prev).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(head?.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The same sha256 over the same canonical form as before, only spelled shorter.
    expect(asLeanDigest(legacy([record(1)], null).head!.hash)).toBe(records[1]!.chain!.prev);
  });

  it('is deterministic, and keeps the links of records already linked (an owed outbox carried out again)', () => {
    const chain = () => {
      const first = lean([record(1), record(2)], null);
      const second = lean([record(3), record(4), record(5)], first.head);
      return { records: [...first.records, ...second.records], head: second.head };
    };
    const { records, head } = chain();
    expect(chain()).toEqual({ records, head });
    const again = lean([records[3]!, records[4]!, record(6)], { seq: 3, hash: hashOf(records[2])! });
    expect(again.records.slice(0, 2)).toEqual(records.slice(3));
    expect(again.records[2]?.chain).toMatchObject({ seq: 6, prev: hashOf(records[4]) });
  });

  /** Three old records, the old head stored after them, then two new ones linked after that head. */
  function mixed(): { records: ChainedRecord[]; head: ChainHead | null } {
    const old = legacy([record(1), record(2), record(3)], null);
    const now = lean([record(4), record(5)], old.head);
    return { records: [...old.records, ...now.records], head: now.head };
  }

  it('goes on from an old head: the first new record names the old hash in base64url, and the whole chain verifies', () => {
    const { records, head } = mixed();
    expect(records[2]!.chain!.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(records[3]!.chain).toEqual({ seq: 4, prev: asLeanDigest(records[2]!.chain!.hash!) });
    expect(verifyChain(records, head, digest)).toEqual({ chained: 5, unchained: 0, head, broken: null });
    // An owed outbox of old records carried out again after the change: the head moves past them, the next links on.
    const again = lean([records[1]!, records[2]!, record(4)], { seq: 1, hash: records[0]!.chain!.hash! });
    expect(again.records[2]).toEqual(records[3]);
  });

  it.each([
    ['an old record edited', (r: ChainedRecord[]) => [r[0]!, { ...r[1]!, reason: 'x' }, ...r.slice(2)], { kind: 'edited', seq: 2 }],
    [
      'the last old record edited',
      (r: ChainedRecord[]) => [...r.slice(0, 2), { ...r[2]!, reason: 'x' }, ...r.slice(3)],
      { kind: 'edited', seq: 3 },
    ],
    [
      'the first new record edited',
      (r: ChainedRecord[]) => [...r.slice(0, 3), { ...r[3]!, reason: 'x' }, r[4]!],
      { kind: 'edited', seq: 4 },
    ],
    ['the last old record removed', (r: ChainedRecord[]) => [...r.slice(0, 2), ...r.slice(3)], { kind: 'removed', seq: 3 }],
    [
      'the last old record replaced by one that hashes right on its own',
      (r: ChainedRecord[]) => [...r.slice(0, 2), ...legacy([record(7)], { seq: 2, hash: r[1]!.chain!.hash! }).records, ...r.slice(3)],
      { kind: 'removed', seq: 4, recordId: 'audit-4' },
    ],
    [
      'an old and a new record swapped',
      (r: ChainedRecord[]) => [r[0]!, { ...r[3]!, chain: r[1]!.chain }, r[2]!, { ...r[1]!, chain: r[3]!.chain }, r[4]!],
      { kind: 'reordered', seq: 2, recordId: 'audit-4' },
    ],
    ['the last new record edited', (r: ChainedRecord[]) => [...r.slice(0, 4), { ...r[4]!, reason: 'x' }], { kind: 'edited', seq: 5 }],
  ])('names the first broken link of a mixed chain: %s', (_what, tamper, broken) => {
    const { records, head } = mixed();
    expect(verifyChain(tamper(records), head, digest).broken).toMatchObject(broken);
  });

  it('an edited last record is named at its place, with its id: only the head pins it', () => {
    const { records, head } = lean([record(1), record(2), record(3)], null);
    const edited = [...records.slice(0, 2), { ...records[2]!, reason: 'nothing happened' }];
    expect(verifyChain(edited, head, digest).broken).toMatchObject({ kind: 'edited', seq: 3, recordId: 'audit-3' });
    // The last record swapped with the first: each hashes right at the other's place (the head pins the last one).
    const swapped = [{ ...records[2]!, chain: records[0]!.chain }, records[1]!, { ...records[0]!, chain: records[2]!.chain }];
    expect(verifyChain(swapped, head, digest).broken).toMatchObject({ kind: 'reordered', seq: 1, recordId: 'audit-3' });
  });

  it('compares a head with the chain by its bytes: an old-spelled head of a new record holds, a different one does not', () => {
    const { records, head } = lean([record(1), record(2)], null);
    const spelledOld = { seq: 2, hash: hexDigest(Buffer.from(head!.hash, 'base64url')) };
    expect(verifyChain(records, spelledOld, digest).broken).toBeNull();
    const other = lean([record(1), record(3)], null).head!;
    expect(verifyChain(records, { seq: 2, hash: other.hash }, digest).broken).toMatchObject({ kind: 'edited', seq: 2 });
    expect(verifyChain(records, { seq: 2, hash: 'not a digest' }, digest).broken).toMatchObject({ kind: 'edited', seq: 2 });
  });

  it('a subscription with no stored head and no chained records verifies as empty', () => {
    expect(verifyChain([record(1)], null, digest)).toEqual({ chained: 0, unchained: 1, head: null, broken: null });
  });
});
