/** At most this many client addresses are tracked; past it the least recently failing are forgotten (memory stays bounded). */
export const MAX_TRACKED_CLIENTS = 10_000;

export interface AuthFailureLimits {
  /** Failures a client address may make at once. */
  readonly burst: number;
  /** After the burst, one more failure per this many milliseconds. */
  readonly intervalMs: number;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/**
 * Failed authentications per client address, as a token bucket: a burst, then a steady rate. Only failures spend
 * it, and the caller asks only after a token was refused: a request that authenticates is never counted nor refused,
 * so a flood of wrong tokens from behind the same proxy cannot lock sign-in services out of the access API. In memory
 * and per process, like the sign-in form's AttemptLimiter.
 */
export class AuthFailureLimiter {
  // A Map iterates in insertion order, and every failure re-inserts its client: the first entries failed least recently.
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: AuthFailureLimits,
    private readonly clock: () => number,
  ) {}

  /** Records one failed authentication by `client`: within its budget (answer 401 or 403), or over it (429, wait). */
  fail(client: string): Verdict {
    const now = this.clock();
    const { burst, intervalMs } = this.limits;
    const last = this.buckets.get(client);
    const tokens = last === undefined ? burst : Math.min(burst, last.tokens + (now - last.at) / intervalMs);
    this.buckets.delete(client);
    if (tokens >= 1) {
      this.buckets.set(client, { tokens: tokens - 1, at: now });
      this.prune();
      return { ok: true };
    }
    this.buckets.set(client, { tokens, at: now });
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - tokens) * intervalMs) / 1000)) };
  }

  /** How many client addresses are tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  private prune(): void {
    for (const client of this.buckets.keys()) {
      if (this.buckets.size <= MAX_TRACKED_CLIENTS) return;
      this.buckets.delete(client);
    }
  }
}
