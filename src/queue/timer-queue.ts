import type { Queue } from 'bullmq';

import { nextWake, type Effect } from '../domain';
import type { Traced } from '../tracing/trace-context';
import { queueFailure } from './redis-errors';
import { deletionJobId, timerJob } from './timer-jobs';

type Schedule = Extract<Effect, { kind: 'schedule-deletion' }>;
type Cancel = Extract<Effect, { kind: 'cancel-deletion' }>;

/** Deletion timers as delayed BullMQ jobs: one per subscription, waking for each reminder, then for the deletion. */
export class TimerQueue {
  constructor(
    readonly queue: Queue,
    private readonly clock: () => number,
  ) {}

  /** A schedule with a traceparent stores it in the job, so the run days later links to the span that scheduled it. */
  async schedule(effects: readonly Traced<Schedule>[]): Promise<void> {
    if (effects.length === 0) return;
    const now = this.clock();
    try {
      await this.queue.addBulk(
        effects.map((effect) =>
          timerJob(deletionJobId(effect.subscriptionId, effect.generation), nextWake(effect, now), now, effect.traceparent),
        ),
      );
    } catch (error) {
      throw await queueFailure(this.queue, error, { op: 'schedule timers', count: effects.length });
    }
  }

  /** Removes the timers' jobs. A job already running cannot be removed; its processor finds the subscription active and does nothing. */
  async cancel(effects: readonly Cancel[]): Promise<void> {
    try {
      await Promise.all(effects.map((effect) => this.queue.remove(deletionJobId(effect.subscriptionId, effect.generation))));
    } catch (error) {
      throw await queueFailure(this.queue, error, { op: 'cancel timers', count: effects.length });
    }
  }
}
