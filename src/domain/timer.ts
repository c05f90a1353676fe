import type { Policy } from './policy';
import type { DeletionTimer, Millis, ScheduledReminder, Subscription } from './subscription';

/** A fresh deletion timer, with a reminder for each configured offset that still lies in the future. */
export function newTimer(state: Subscription, dueAt: Millis, policy: Policy, now: Millis): DeletionTimer {
  return {
    generation: state.timerGeneration + 1,
    dueAt,
    scheduledAt: now,
    // A timer that replaces one (legal hold released) keeps counting from the same suspension.
    startedAt: state.deletion === null ? now : timerStart(state.deletion),
    policyVersion: policy.version,
    reminders: policy.reminderOffsets.map(({ offset, ms }) => ({ offset, at: dueAt - ms })).filter((reminder) => reminder.at > now),
    claimedAt: null,
    progress: [],
  };
}

/** What a schedule effect and a stored timer share: enough to know when the job wakes. */
export type TimerMoments = Pick<DeletionTimer, 'dueAt' | 'reminders'>;

/**
 * A timer is one delayed job that wakes at each reminder, then at the deletion: one job per subscription keeps Redis
 * small (docs/PERFORMANCE.md). This is when it should next wake: its earliest reminder still ahead, else the deletion.
 */
export function nextWake(timer: TimerMoments, now: Millis): Millis {
  const ahead = timer.reminders.filter((reminder) => reminder.at > now && reminder.at < timer.dueAt);
  return Math.min(timer.dueAt, ...ahead.map((reminder) => reminder.at));
}

/**
 * The reminder a wake at `now` sends: the latest one whose moment has come. When the job wakes late, past two
 * reminder moments, only the nearer-term one goes out; the earlier one says less and would arrive after it anyway.
 */
export function reminderAt(timer: TimerMoments, now: Millis): ScheduledReminder | null {
  const due = timer.reminders.filter((reminder) => reminder.at <= now && reminder.at < timer.dueAt);
  return due.reduce<ScheduledReminder | null>((latest, reminder) => (latest === null || reminder.at > latest.at ? reminder : latest), null);
}

/** What decides a subscription's timer job. */
export type TimerView = Pick<Subscription, 'subscriptionId' | 'status' | 'deletion' | 'legalHold'>;

export interface ExpectedTimer {
  readonly generation: number;
  /** When its job should run next: a reminder or the deletion (see nextWake). */
  readonly runAt: Millis;
  readonly dueAt: Millis;
}

/**
 * The timer job a subscription should have scheduled right now, from its state alone (MongoDB is the source of truth).
 * None under legal hold: releasing it sets a new timer. A claimed deletion runs at once.
 */
export function expectedTimer(state: TimerView, now: Millis): ExpectedTimer | null {
  const timer = state.deletion;
  if (timer === null || state.status === 'active' || state.status === 'deleted' || state.legalHold !== null) return null;
  const runAt = timer.claimedAt !== null ? timer.dueAt : nextWake(timer, now);
  return { generation: timer.generation, runAt, dueAt: timer.dueAt };
}

/** When the suspension (or cancellation) that started this deletion began: what a tenant's delay counts from. */
export function timerStart(timer: Pick<DeletionTimer, 'startedAt' | 'scheduledAt'>): Millis {
  return timer.startedAt ?? timer.scheduledAt;
}
