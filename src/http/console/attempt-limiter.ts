/** At most this many clients are tracked; past it the oldest windows are dropped, so a flood cannot grow memory without bound. */
const MAX_CLIENTS = 10_000;

/**
 * Counts attempts per client in fixed windows: `limit` per `windowMs`, then refused until the window ends. In memory
 * and per process: it slows a guesser down, it is not an account lockout (the token has no account to lock).
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** Counts one attempt by `client`; refused with the seconds to wait when the client is over its limit. */
  take(client: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.clock();
    let window = this.windows.get(client);
    if (window === undefined || now - window.start >= this.windowMs) {
      this.windows.delete(client);
      window = { start: now, count: 0 };
      this.windows.set(client, window);
      this.prune(now);
    }
    window.count++;
    if (window.count <= this.limit) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)) };
  }

  private prune(now: number): void {
    if (this.windows.size <= MAX_CLIENTS) return;
    // A Map iterates in insertion order, and a fresh window is re-inserted: the first entries are the oldest.
    for (const [client, window] of this.windows) {
      if (this.windows.size <= MAX_CLIENTS && now - window.start < this.windowMs) break;
      this.windows.delete(client);
    }
  }
}
