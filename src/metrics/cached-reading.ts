/** Reuses a successful load for `ttlMs`; concurrent callers share one load; a failure is not kept. */
export function cached<T>(load: () => Promise<T>, ttlMs: number, clock: () => number): () => Promise<T> {
  let entry: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = clock();
    if (entry === undefined || now - entry.at >= ttlMs) {
      const value = load();
      entry = { at: now, value };
      void value.catch(() => {
        if (entry?.value === value) entry = undefined;
      });
    }
    return entry.value;
  };
}
