import type { Effect, LifecycleEvent } from '../domain';
import type { LifecyclePublisher } from '../kafka/lifecycle-publisher';
import type { TimerQueue } from '../queue/timer-queue';
import type { AuditDocument, AuditRepository } from '../storage/audit.repository';
import type { OutboxEntry } from '../storage/outbox';
import type { SubscriptionRepository } from '../storage/subscription.repository';

export interface Written {
  readonly subscriptionId: string;
  readonly version: number;
  readonly outbox: readonly OutboxEntry[];
}

/**
 * Carries out the outbox of freshly written subscriptions, in bulk, then clears it.
 * Schedules go before cancels: a timer set and lifted within one batch ends up removed.
 */
export class EffectDispatcher {
  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly audit: AuditRepository,
    private readonly timers: TimerQueue,
    private readonly publisher: LifecyclePublisher,
  ) {}

  async dispatch(written: readonly Written[]): Promise<void> {
    const pending = written.filter((item) => item.outbox.length > 0);
    if (pending.length === 0) return;
    const records: AuditDocument[] = [];
    const schedules: Extract<Effect, { kind: 'schedule-deletion' }>[] = [];
    const cancels: Extract<Effect, { kind: 'cancel-deletion' }>[] = [];
    const events: { id: string; event: LifecycleEvent }[] = [];
    for (const entry of pending.flatMap((item) => item.outbox)) {
      if (entry.kind === 'audit') {
        records.push({ _id: entry.id, ...entry.record });
        continue;
      }
      const { effect } = entry;
      switch (effect.kind) {
        case 'schedule-deletion':
          schedules.push(effect);
          break;
        case 'cancel-deletion':
          cancels.push(effect);
          break;
        case 'publish':
          events.push({ id: entry.id, event: effect.event });
          break;
      }
    }
    await this.audit.append(records);
    await this.timers.schedule(schedules);
    await this.timers.cancel(cancels);
    await this.publisher.publish(events);
    await this.subscriptions.clearOutboxes(pending.map(({ subscriptionId, version }) => ({ subscriptionId, version })));
  }
}
