import { DEFAULT_POLICY_SETTINGS, policyFrom, type Effect } from '../../src/domain';

export type ScheduleEffect = Extract<Effect, { kind: 'schedule-deletion' }>;
export type CancelEffect = Extract<Effect, { kind: 'cancel-deletion' }>;

const policy = policyFrom(DEFAULT_POLICY_SETTINGS);

/** The effect a suspension at `now` produces with the default policy: deletion in 60 days, reminders 30, 7 and 1 day before. */
export function scheduleEffect(subscriptionId: string, now: number): ScheduleEffect {
  const dueAt = now + policy.deletionDelayMs;
  return {
    kind: 'schedule-deletion',
    subscriptionId,
    generation: 1,
    dueAt,
    reminders: policy.reminderOffsets.map(({ offset, ms }) => ({ offset, at: dueAt - ms })),
  };
}

export function cancelEffect(schedule: ScheduleEffect): CancelEffect {
  return {
    kind: 'cancel-deletion',
    subscriptionId: schedule.subscriptionId,
    generation: schedule.generation,
    reminders: schedule.reminders,
  };
}
