import type { Millis } from '../domain';
import type { SubscriptionRepository } from '../storage/subscription.repository';

const DAY_MS = 86_400_000;

export interface ForecastDay {
  /** The UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly count: number;
}

export interface DeletionForecast {
  /** Due before now and not done: under legal hold, in progress, or waiting for the timer worker. */
  readonly overdue: number;
  /** One entry per UTC day from today, `days` long, zeros included. */
  readonly days: readonly ForecastDay[];
}

/** Folds per-instant counts into UTC days from today's; what lies before `now` is overdue, what lies beyond the last day is left out. */
export function foldByDay(rows: readonly { dueAt: Millis; count: number }[], now: Millis, days: number): DeletionForecast {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const counts = new Array<number>(days).fill(0);
  let overdue = 0;
  for (const { dueAt, count } of rows) {
    if (dueAt < now) {
      overdue += count;
      continue;
    }
    const index = Math.floor((dueAt - today) / DAY_MS);
    if (index < days) counts[index] = (counts[index] ?? 0) + count;
  }
  return {
    overdue,
    days: counts.map((count, index) => ({ day: new Date(today + index * DAY_MS).toISOString().slice(0, 10), count })),
  };
}

/** Pending deletions per UTC day for the next `days` days (today first), and those already overdue. */
export async function deletionForecast(subscriptions: SubscriptionRepository, now: Millis, days = 60): Promise<DeletionForecast> {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return foldByDay(await subscriptions.countDeletionsByDueAt(today + days * DAY_MS), now, days);
}
