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
  /** The window's length: deletions due from now until `now + windowDays` days, the list's `dueBefore`. */
  readonly windowDays: number;
  /**
   * One entry per UTC day the window touches, today first, zeros included: `windowDays + 1` days unless now is
   * midnight, as the window ends at the same time of day as now.
   */
  readonly days: readonly ForecastDay[];
}

/** The end of a forecast window: the same instant the list of upcoming deletions stops at, so count and list agree. */
export function forecastWindowEnd(now: Millis, days: number): Millis {
  return now + days * DAY_MS;
}

/** Folds per-instant counts into UTC days from today's; what lies before `now` is overdue, what lies at or past the window's end is left out. */
export function foldByDay(rows: readonly { dueAt: Millis; count: number }[], now: Millis, days: number): DeletionForecast {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const end = forecastWindowEnd(now, days);
  const counts = new Array<number>(Math.ceil((end - today) / DAY_MS)).fill(0);
  let overdue = 0;
  for (const { dueAt, count } of rows) {
    if (dueAt < now) {
      overdue += count;
      continue;
    }
    if (dueAt >= end) continue;
    const index = Math.floor((dueAt - today) / DAY_MS);
    counts[index] = (counts[index] ?? 0) + count;
  }
  return {
    overdue,
    windowDays: days,
    days: counts.map((count, index) => ({ day: new Date(today + index * DAY_MS).toISOString().slice(0, 10), count })),
  };
}

/**
 * Pending deletions per UTC day for the next `days` days (from now to the same time then; `upcomingWindowDays` of the
 * policy covers every pending one), and those already overdue.
 */
export async function deletionForecast(subscriptions: SubscriptionRepository, now: Millis, days: number): Promise<DeletionForecast> {
  return foldByDay(await subscriptions.countDeletionsByDueAt(forecastWindowEnd(now, days)), now, days);
}
