import type { AuditRecord } from './decision';

/**
 * A subscription's audit records form a hash chain: each carries its place (`seq`), the hash of the record before
 * (`prev`) and its own hash, over its canonical form with `seq` and `prev` (never `hash`). The hash function comes in
 * as an argument (`sha256Of`, src/proof/digest.ts), so this stays pure.
 */
export type Digest = (value: unknown) => string;

/** The last record of a chain: what the next record links to. Stored with the subscription (or, for one never stored, beside it). */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export interface ChainLink {
  /** 1 for a subscription's first chained record, then one more for each. */
  readonly seq: number;
  /** The hash of the record before it; null for the first. */
  readonly prev: string | null;
  /** The digest of the record's canonical form with `seq` and `prev`, without `hash`. */
  readonly hash: string;
}

/** An audit record as stored: its id, and its link (absent on records written before the chain). */
export type ChainedRecord = AuditRecord & { readonly _id: string };

function contentOf(record: ChainedRecord): Omit<ChainedRecord, 'chain'> {
  const { chain: _chain, ...content } = record;
  return content;
}

const hashAt = (record: ChainedRecord, seq: number, prev: string | null, digest: Digest): string =>
  digest({ ...contentOf(record), chain: { seq, prev } });

/**
 * Links new records, in order, after `head`; records that already carry a link (an owed outbox's, carried out again)
 * keep it, and the head moves past them. Deterministic: the same records after the same head link the same way.
 */
export function linkRecords<R extends ChainedRecord>(
  records: readonly R[],
  head: ChainHead | null,
  digest: Digest,
): { records: R[]; head: ChainHead | null } {
  let current = head;
  const linked = records.map((record): R => {
    if (record.chain !== undefined) {
      if (current === null || record.chain.seq > current.seq) current = { seq: record.chain.seq, hash: record.chain.hash };
      return record;
    }
    const seq = (current?.seq ?? 0) + 1;
    const prev = current?.hash ?? null;
    const hash = hashAt(record, seq, prev, digest);
    current = { seq, hash };
    return { ...record, chain: { seq, prev, hash } };
  });
  return { records: linked, head: current };
}

/** How a chain is broken at its first bad link. */
export type BreakKind = 'edited' | 'removed' | 'inserted' | 'reordered';

export interface ChainBreak {
  readonly kind: BreakKind;
  /** The position in the chain where it breaks (the `seq` expected there). */
  readonly seq: number;
  /** The record found there, if any. */
  readonly recordId: string | null;
  readonly message: string;
}

export interface ChainReport {
  /** Records with a link. */
  readonly chained: number;
  /** Records written before the chain existed: shown, counted, not provable. */
  readonly unchained: number;
  /** The last good link (null: none). */
  readonly head: ChainHead | null;
  /** The first broken link; null when the chain holds. */
  readonly broken: ChainBreak | null;
}

/**
 * Verifies a subscription's records, read in chain order (unchained first, then by `seq`), against the head stored
 * with the subscription (`expected`; null when none is stored). Names the first broken link:
 * - edited: a record whose content no longer matches its hash;
 * - reordered: a record that hashes right at another record's place (two records swapped, or moved);
 * - removed: a place no record fills (a gap, a record whose `prev` is not the hash before it, or a chain shorter than its stored head);
 * - inserted: a record with no place (two records claim one `seq`, an unchained record written after the chain began, a chain longer than its head).
 */
export function verifyChain(records: readonly ChainedRecord[], expected: ChainHead | null, digest: Digest): ChainReport {
  const chained = records.filter((record) => record.chain !== undefined);
  const unchained = records.filter((record) => record.chain === undefined);
  const report = (head: ChainHead | null, broken: ChainBreak | null): ChainReport => ({
    chained: chained.length,
    unchained: unchained.length,
    head,
    broken,
  });
  const firstChainedAt = chained[0]?.recordedAt;
  const late = unchained.find((record) => firstChainedAt !== undefined && record.recordedAt > firstChainedAt);
  let head: ChainHead | null = null;
  for (const [index, record] of chained.entries()) {
    const link = record.chain;
    if (link === undefined) continue;
    const seq = (head?.seq ?? 0) + 1;
    const at = (kind: BreakKind, message: string, id: string = record._id): ChainReport =>
      report(head, { kind, seq, recordId: id, message });
    const intact = (candidate: ChainedRecord): boolean =>
      candidate.chain !== undefined && hashAt(candidate, candidate.chain.seq, candidate.chain.prev, digest) === candidate.chain.hash;
    if (link.seq < seq) return at('inserted', `record ${record._id} claims place ${link.seq}, which another record holds`);
    if (link.seq > seq) return at('removed', `no record at place ${seq}: the next is ${record._id} at ${link.seq}`);
    // Two records at one place: the one that is not the chain's own was inserted.
    const rival = chained.slice(index + 1).find((other) => other.chain?.seq === link.seq);
    if (rival !== undefined) {
      const forged = intact(record) && link.prev === (head?.hash ?? null) ? rival : record;
      return at('inserted', `records ${record._id} and ${rival._id} both claim place ${seq}: ${forged._id} is not the chain's`, forged._id);
    }
    if (!intact(record)) {
      const owner = chained.find(
        (other) => other.chain !== undefined && hashAt(record, other.chain.seq, other.chain.prev, digest) === other.chain.hash,
      );
      return owner?.chain === undefined
        ? at('edited', `record ${record._id} was changed after it was written: its content does not match its hash`)
        : at('reordered', `record ${record._id} belongs at place ${owner.chain.seq}, not ${seq}: records were swapped or moved`);
    }
    if (link.prev !== (head?.hash ?? null))
      return at('removed', `record ${record._id} follows a record that is not there: the one before it was removed or replaced`);
    head = { seq: link.seq, hash: link.hash };
  }
  if (late !== undefined)
    return report(head, {
      kind: 'inserted',
      seq: (head?.seq ?? 0) + 1,
      recordId: late._id,
      message: `record ${late._id} has no link but was recorded after the chain began: it was inserted`,
    });
  const stored = expected?.seq ?? 0;
  const reached = head?.seq ?? 0;
  if (stored > reached)
    return report(head, {
      kind: 'removed',
      seq: reached + 1,
      recordId: null,
      message: `the chain ends at place ${reached}, but the subscription's head is at ${stored}: its last ${stored - reached} record(s) were removed`,
    });
  if (expected !== null && head !== null && (stored < reached || expected.hash !== head.hash))
    return report(head, {
      kind: stored < reached ? 'inserted' : 'edited',
      seq: stored < reached ? stored + 1 : stored,
      recordId: null,
      message:
        stored < reached
          ? `the chain goes on past the subscription's head (place ${stored}): records were added after it`
          : `the last record is not the one the subscription's head names: it was replaced`,
    });
  return report(head, null);
}
