import type { CommitPath } from '../commit/commit-path';
import type { Logger } from '../logging/logger';
import type { KeyedLock } from '../leases/keyed-lock';

/**
 * Finishes effects left owed by a crash between a state write and its effects, for subscriptions no new event will
 * touch soon. Its work list is the pending-effects marks in Redis, so it reads MongoDB only for those subscriptions.
 */
export class OutboxSweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly commits: CommitPath,
    private readonly locks: KeyedLock,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly options = { intervalMs: 30_000, minAgeMs: 30_000, pageSize: 500 },
  ) {}

  async sweepOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.commits.markedBefore(this.clock() - this.options.minAgeMs, this.options.pageSize);
      if (ids.length === 0) break;
      // Under the subscriptions' locks, re-read: a writer may have carried the outbox out (and moved on) meanwhile.
      await this.locks.withLocks(ids, async () => {
        const { owed } = await this.commits.load(ids);
        await this.commits.commit({ writes: [], owed: [...owed.values()] });
        await this.commits.forget(ids.filter((id) => !owed.has(id)));
        total += owed.size;
      });
      if (ids.length < this.options.pageSize) break;
    }
    if (total > 0) this.logger.info({ subscriptions: total }, 'finished effects left by an earlier run');
    return total;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.sweepOnce().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'outbox sweep failed; will retry');
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
