import { z } from 'zod';

import type { JobsOptions } from 'bullmq';

/** Job names on the timer queue. */
export const DATA_DELETION = 'data-deletion';
export const DELETION_REMINDER = 'deletion-reminder';
/** The repeatable job that makes Redis agree with MongoDB. */
export const RECONCILE = 'reconcile';
export type TimerJobName = typeof DATA_DELETION | typeof DELETION_REMINDER | typeof RECONCILE;

export const reconcilePayload = z.object({}).loose();

export const dataDeletionPayload = z.object({ subscriptionId: z.string().min(1), generation: z.number().int().positive() });
export const deletionReminderPayload = dataDeletionPayload.extend({ offset: z.string().min(1) });
export type DataDeletionPayload = z.infer<typeof dataDeletionPayload>;
export type DeletionReminderPayload = z.infer<typeof deletionReminderPayload>;

// Job ids are deterministic per timer generation (BullMQ ids may not contain ':'; subscription ids cannot).
export function deletionJobId(subscriptionId: string, generation: number): string {
  return `d.${generation}.${subscriptionId}`;
}

export function reminderJobId(subscriptionId: string, generation: number, offset: string): string {
  return `r.${generation}.${offset}.${subscriptionId}`;
}

/** Every BullMQ option the service uses, decided here. */
export function timerJobOptions(jobId: string, runAt: number, now: number): JobsOptions {
  return {
    jobId,
    delay: Math.max(0, runAt - now),
    // A completed timer is gone for good; its outcome lives in the audit trail.
    removeOnComplete: true,
    // Failed timers stay a month for operators to inspect and retry from Bull Board.
    removeOnFail: { age: 30 * 24 * 3600 },
    attempts: 12,
    backoff: { type: 'exponential', delay: 2_000 },
  };
}
