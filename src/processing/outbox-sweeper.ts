import type { EffectDispatcher } from '../effects/effect-dispatcher';
import type { Logger } from '../logging/logger';
import type { SubscriptionRepository } from '../storage/subscription.repository';
import type { KeyedLock } from './keyed-lock';

/**
 * Finishes effects left behind by a crash between a state write and its effects, for subscriptions
 * no new event will touch soon. Effects are idempotent, so racing the normal path is harmless.
 */
export class OutboxSweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly dispatcher: EffectDispatcher,
    private readonly locks: KeyedLock,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly options = { intervalMs: 30_000, minAgeMs: 30_000, pageSize: 500 },
  ) {}

  async sweepOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const page = await this.subscriptions.withPendingOutbox(this.clock() - this.options.minAgeMs, this.options.pageSize);
      if (page.length === 0) break;
      // Under the subscriptions' locks, re-read: a writer may have carried the outbox out (and moved on) meanwhile.
      const ids = page.map((stored) => stored.state.subscriptionId);
      await this.locks.withLocks(ids, async () => {
        const fresh = await this.subscriptions.load(ids);
        const pending = [...fresh.values()].filter((stored) => stored.outbox.length > 0);
        await this.dispatcher.dispatch(
          pending.map((stored) => ({ subscriptionId: stored.state.subscriptionId, version: stored.version, outbox: stored.outbox })),
        );
      });
      total += page.length;
      if (page.length < this.options.pageSize) break;
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
