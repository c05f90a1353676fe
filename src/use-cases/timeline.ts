import type { Queue } from 'bullmq';

import type { Subscription } from '../domain';
import { deletionJobId } from '../queue/timer-jobs';
import type { AuditDocument, AuditRepository } from '../storage/audit.repository';
import type { SubscriptionRepository } from '../storage/subscription.repository';

export interface ScheduledTimer {
  readonly kind: 'deletion' | 'reminder';
  readonly jobId: string;
  readonly dueAt: number;
  readonly offset?: string;
  /** The BullMQ job's state, or `missing` when MongoDB expects a job Redis does not have (the reconciler repairs it). */
  readonly jobState: string;
}

export interface Timeline {
  readonly subscription: Subscription;
  readonly audit: readonly AuditDocument[];
  readonly scheduled: readonly ScheduledTimer[];
}

/**
 * The audit trail of one subscription (its latest `limit` records, oldest first) and what is still to come for it,
 * MongoDB's plan checked against Redis's jobs.
 */
export async function subscriptionTimeline(
  deps: { subscriptions: SubscriptionRepository; audit: AuditRepository; queue: Queue },
  subscriptionId: string,
  limit = 1_000,
): Promise<Timeline | null> {
  const stored = await deps.subscriptions.get(subscriptionId);
  if (stored === null) return null;
  const { state } = stored;
  const timer = state.deletion;
  if (timer === null) return { subscription: state, audit: await deps.audit.trail(subscriptionId, limit), scheduled: [] };
  // One job carries the timer: it wakes for each reminder, then for the deletion.
  const jobId = deletionJobId(subscriptionId, timer.generation);
  const job = await deps.queue.getJob(jobId);
  const jobState = job === undefined ? 'missing' : await job.getState();
  const scheduled = [
    { kind: 'deletion' as const, jobId, dueAt: timer.dueAt, jobState },
    ...timer.reminders.map((reminder) => ({ kind: 'reminder' as const, jobId, dueAt: reminder.at, offset: reminder.offset, jobState })),
  ];
  return { subscription: state, audit: await deps.audit.trail(subscriptionId, limit), scheduled };
}
