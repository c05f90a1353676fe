import type { Policy } from './policy';
import type { DeletionTimer, Millis, Subscription } from './subscription';

/** A fresh deletion timer, with a reminder for each configured offset that still lies in the future. */
export function newTimer(state: Subscription, dueAt: Millis, policy: Policy, now: Millis): DeletionTimer {
  return {
    generation: state.timerGeneration + 1,
    dueAt,
    scheduledAt: now,
    reminders: policy.reminderOffsets.map(({ offset, ms }) => ({ offset, at: dueAt - ms })).filter((reminder) => reminder.at > now),
    claimedAt: null,
    progress: [],
  };
}

export interface ExpectedTimer {
  readonly kind: 'deletion' | 'reminder';
  readonly generation: number;
  readonly runAt: Millis;
  readonly offset?: string;
}

/**
 * The timers a subscription should have scheduled right now, from its state alone (MongoDB is the source of truth).
 * None under legal hold: releasing it sets a new timer. Reminders only while still ahead and unclaimed.
 */
export function expectedTimers(state: Subscription, now: Millis): readonly ExpectedTimer[] {
  const timer = state.deletion;
  if (timer === null || state.status === 'active' || state.status === 'deleted' || state.legalHold !== null) return [];
  const reminders =
    timer.claimedAt !== null
      ? []
      : timer.reminders
          .filter((reminder) => reminder.at > now)
          .map((reminder) => ({ kind: 'reminder' as const, generation: timer.generation, runAt: reminder.at, offset: reminder.offset }));
  return [{ kind: 'deletion', generation: timer.generation, runAt: timer.dueAt }, ...reminders];
}
