import { createHash } from 'node:crypto';

/**
 * A compact set of job ids, 8 bytes each (a million ids in 8 MB instead of about 90 MB as a Set of strings), so the
 * reconciler can remember every expected job over millions of subscriptions. Ids are kept as 48-bit hashes: a collision
 * can only make an orphan look expected, and an orphan left in place does nothing when it fires (its processor finds
 * the timer stale), so the set errs only on the harmless side.
 */
export class JobIdSet {
  private hashes = new Float64Array(1_024);
  private size = 0;
  private sorted = true;

  private static hash(id: string): number {
    return createHash('sha1').update(id).digest().readUIntBE(0, 6);
  }

  add(id: string): void {
    if (this.size === this.hashes.length) {
      const grown = new Float64Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.size++] = JobIdSet.hash(id);
    this.sorted = false;
  }

  has(id: string): boolean {
    if (!this.sorted) {
      this.hashes = this.hashes.slice(0, this.size).sort();
      this.sorted = true;
    }
    const wanted = JobIdSet.hash(id);
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.hashes[middle] ?? Number.NaN;
      if (value === wanted) return true;
      if (value < wanted) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}
