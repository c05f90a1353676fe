import type { Queue } from 'bullmq';

import type { Effect } from '../domain';
import { DATA_DELETION, DELETION_REMINDER, deletionJobId, reminderJobId, timerJobOptions } from './timer-jobs';

type Schedule = Extract<Effect, { kind: 'schedule-deletion' }>;
type Cancel = Extract<Effect, { kind: 'cancel-deletion' }>;

/** Deletion and reminder timers as delayed BullMQ jobs. */
export class TimerQueue {
  constructor(
    readonly queue: Queue,
    private readonly clock: () => number,
  ) {}

  async schedule(effects: readonly Schedule[]): Promise<void> {
    if (effects.length === 0) return;
    const now = this.clock();
    await this.queue.addBulk(
      effects.flatMap((effect) => [
        {
          name: DATA_DELETION,
          data: { subscriptionId: effect.subscriptionId, generation: effect.generation },
          opts: timerJobOptions(deletionJobId(effect.subscriptionId, effect.generation), effect.dueAt, now),
        },
        ...effect.reminders.map((reminder) => ({
          name: DELETION_REMINDER,
          data: { subscriptionId: effect.subscriptionId, generation: effect.generation, offset: reminder.offset },
          opts: timerJobOptions(reminderJobId(effect.subscriptionId, effect.generation, reminder.offset), reminder.at, now),
        })),
      ]),
    );
  }

  /** Removes the timer's jobs. A job already running cannot be removed; its processor finds the subscription active and does nothing. */
  async cancel(effects: readonly Cancel[]): Promise<void> {
    const ids = effects.flatMap((effect) => [
      deletionJobId(effect.subscriptionId, effect.generation),
      ...effect.reminders.map((reminder) => reminderJobId(effect.subscriptionId, effect.generation, reminder.offset)),
    ]);
    await Promise.all(ids.map((id) => this.queue.remove(id)));
  }
}
