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
