import { asLeanDigest, leanDigest, sameDigest, type Digest } from './chain-digest';
import type { AuditRecord } from './decision';

/**
 * A subscription's audit records form a hash chain: each carries its place (`seq`) and the hash of the record before
 * (`prev`). A record's hash is the digest of its canonical form with `seq` and `prev` (never `hash`); it is not stored
 * (records from before issue 21 still carry it, as `hash`): the next record's `prev`, and for the last the head stored
 * with the subscription, pin it, and verification recomputes it. The hash function comes in as an argument
 * (`sha256Bytes`, src/proof/digest.ts), so this stays pure; chain-digest.ts says how a digest is spelled.
 */
export type { Digest } from './chain-digest';

/** The last record of a chain: what the next record links to. Stored with the subscription (or, for one never stored, beside it). */
export interface ChainHead {
  readonly seq: number;
  /** The last record's hash: base64url, or `sha256:<hex>` when written before issue 21. */
  readonly hash: string;
}

export interface ChainLink {
  /** 1 for a subscription's first chained record, then one more for each. */
  readonly seq: number;
  /** The hash of the record before it (base64url on records since issue 21); null for the first. */
  readonly prev: string | null;
  /** Only on records from before issue 21: the record's own hash (`sha256:<hex>`). Newer records leave it to be recomputed. */
  readonly hash?: string;
}

/** An audit record as stored: its id, and its link (absent on records written before the chain). */
export type ChainedRecord = AuditRecord & { readonly _id: string };

function contentOf(record: ChainedRecord): Omit<ChainedRecord, 'chain'> {
  const { chain: _chain, ...content } = record;
  return content;
}

/** The hash (base64url) the record's content has at `link`'s place after its `prev`. */
const hashUnder = (record: ChainedRecord, link: ChainLink, digest: Digest): string =>
  leanDigest(digest({ ...contentOf(record), chain: { seq: link.seq, prev: link.prev } }));

/** A chained record's hash (base64url), recomputed from its content and link; null for a record with no link. */
export function recordHash(record: ChainedRecord, digest: Digest): string | null {
  return record.chain === undefined ? null : hashUnder(record, record.chain, digest);
}

/**
 * Links new records, in order, after `head`; records that already carry a link (an owed outbox's, carried out again)
 * keep it, and the head moves past them. Deterministic: the same records after the same head link the same way. A
 * new record's `prev` is in base64url even when the head before it is an older `sha256:<hex>` (the same bytes).
 */
export function linkRecords<R extends ChainedRecord>(
  records: readonly R[],
  head: ChainHead | null,
  digest: Digest,
): { records: R[]; head: ChainHead | null } {
  let current = head;
  // What the next new record links to: only the given head may be spelled the old way; hashes computed here are not.
  let prev = head === null ? null : (asLeanDigest(head.hash) ?? head.hash);
  const linked = records.map((record): R => {
    if (record.chain !== undefined) {
      if (current === null || record.chain.seq > current.seq) {
        current = { seq: record.chain.seq, hash: hashUnder(record, record.chain, digest) };
        prev = current.hash;
      }
      return record;
    }
    const chain: ChainLink = { seq: (current?.seq ?? 0) + 1, prev };
    current = { seq: chain.seq, hash: hashUnder(record, chain, digest) };
    prev = current.hash;
    return { ...record, chain };
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
 * What each place's record must hash to, as the chain says it: the `prev` of every record at the place after it, and
 * the stored head at its place. A text that spells no digest stays as it is, so that it pins a place no record fits.
 */
function pinsOf(chained: readonly ChainedRecord[], expected: ChainHead | null): Map<number, Set<string>> {
  const pins = new Map<number, Set<string>>();
  const pin = (seq: number, hash: string): void => {
    pins.set(seq, (pins.get(seq) ?? new Set<string>()).add(asLeanDigest(hash) ?? hash));
  };
  for (const record of chained) if (record.chain !== undefined && record.chain.prev !== null) pin(record.chain.seq - 1, record.chain.prev);
  if (expected !== null) pin(expected.seq, expected.hash);
  return pins;
}

/** Whether a record's content fits a link: it hashes to the link's stored hash, or to what pins the place; or nothing pins it. */
type Fit = 'yes' | 'no' | 'unpinned';

/**
 * Verifies a subscription's records, read in chain order (unchained first, then by `seq`), against the head stored
 * with the subscription (`expected`; null when none is stored). Names the first broken link:
 * - edited: a record whose content no longer matches its hash (its stored one, or for a record since issue 21 the one
 *   the next record's `prev` or the stored head names);
 * - reordered: a record that hashes right at another record's place (two records swapped, or moved);
 * - removed: a place no record fills (a gap, a record whose `prev` is not the hash before it, or a chain shorter than its stored head);
 * - inserted: a record with no place (two records claim one `seq`, an unchained record written after the chain began, a chain longer than its head).
 * A record with no stored hash that does not match its pin, followed by one that does not match its own either, is not
 * named: the next one's `prev` may be what changed (one edit explains both), and the verdict moves on to it.
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
  const pins = pinsOf(chained, expected);
  const fits = (record: ChainedRecord, link: ChainLink): Fit => {
    const hash = hashUnder(record, link, digest);
    if (link.hash !== undefined) return sameDigest(link.hash, hash) ? 'yes' : 'no';
    const wanted = pins.get(link.seq);
    if (wanted === undefined) return 'unpinned';
    return wanted.has(hash) ? 'yes' : 'no';
  };
  const firstChainedAt = chained[0]?.recordedAt;
  const late = unchained.find((record) => firstChainedAt !== undefined && record.recordedAt > firstChainedAt);
  let head: ChainHead | null = null;
  for (const [index, record] of chained.entries()) {
    const link = record.chain;
    if (link === undefined) continue;
    const seq = (head?.seq ?? 0) + 1;
    const at = (kind: BreakKind, message: string, id: string = record._id): ChainReport =>
      report(head, { kind, seq, recordId: id, message });
    const follows = sameDigest(link.prev, head?.hash ?? null);
    if (link.seq < seq) return at('inserted', `record ${record._id} claims place ${link.seq}, which another record holds`);
    if (link.seq > seq) return at('removed', `no record at place ${seq}: the next is ${record._id} at ${link.seq}`);
    // Two records at one place: the one that is not the chain's own was inserted.
    const rival = chained.slice(index + 1).find((other) => other.chain?.seq === link.seq);
    if (rival !== undefined) {
      const forged = fits(record, link) !== 'no' && follows ? rival : record;
      return at('inserted', `records ${record._id} and ${rival._id} both claim place ${seq}: ${forged._id} is not the chain's`, forged._id);
    }
    const next = chained[index + 1];
    const nextChanged = link.hash === undefined && next?.chain?.seq === seq + 1 && fits(next, next.chain) === 'no';
    if (fits(record, link) === 'no' && !nextChanged) {
      const owner = chained.find((other) => other !== record && other.chain !== undefined && fits(record, other.chain) === 'yes');
      const against =
        link.hash !== undefined
          ? 'its hash'
          : next === undefined
            ? "the hash the subscription's head names"
            : 'the hash the next record names';
      return owner?.chain === undefined
        ? at('edited', `record ${record._id} was changed after it was written: its content does not match ${against}`)
        : at('reordered', `record ${record._id} belongs at place ${owner.chain.seq}, not ${seq}: records were swapped or moved`);
    }
    if (!follows)
      return at('removed', `record ${record._id} follows a record that is not there: the one before it was removed or replaced`);
    head = { seq: link.seq, hash: link.hash ?? hashUnder(record, link, digest) };
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
  if (expected !== null && head !== null && (stored < reached || !sameDigest(expected.hash, head.hash)))
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
