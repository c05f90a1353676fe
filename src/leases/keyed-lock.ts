/** Mutual exclusion per key between processes. */
export interface CrossProcessLock {
  withLeases<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T>;
}

/**
 * Mutual exclusion per key (a subscription id) within this process.
 *
 * On MongoDB writes are guarded by a version check, which it applies atomically. FerretDB 1.24 does not: it reads the
 * matching document, then writes it in a second step, so two writers that read the same version both "win" (seen in
 * 172 of 200 races); there the writes filter by `{_id}` alone (src/storage/store-dialect.ts). Holding a
 * subscription's lock from load to effects makes this process's writers take turns, and the cross-process lock it is
 * given (a lease in Redis, subscription-leases.ts) makes other processes' writers wait too: what makes FerretDB correct
 * with several worker processes, and simply cheaper on MongoDB (fewer conflicts to retry).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** `across`: taken after this process's locks, so only one holder per process ever asks it for a key. */
  constructor(private readonly across?: CrossProcessLock) {}

  /** Runs `work` holding the locks of every key; keys are taken in sorted order, so two callers never deadlock. */
  async withLocks<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const key of sorted) releases.push(await this.acquire(key));
      return this.across === undefined ? await work() : await this.across.withLeases(sorted, work);
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow with every subscription ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
