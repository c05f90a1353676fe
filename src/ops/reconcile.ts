import type { Job, Queue } from 'bullmq';

import { expectedTimers, type ExpectedTimer, type Subscription } from '../domain';
import type { Logger } from '../logging/logger';
import { DATA_DELETION, DELETION_REMINDER, deletionJobId, reminderJobId, timerJobOptions } from '../queue/timer-jobs';
import type { SubscriptionRepository } from '../storage/subscription.repository';

export type DriftKind = 'missing' | 'overdue-missing' | 'wrong-time' | 'orphan';

export interface ReconcileReport {
  readonly subscriptionsScanned: number;
  readonly jobsScanned: number;
  /** Jobs MongoDB expects that Redis lacked, now scheduled. */
  readonly missing: number;
  /** Of those, deletions already due: queued to run now. */
  readonly overdueMissing: number;
  /** Delayed jobs set for another time than MongoDB says, now re-set. */
  readonly wrongTime: number;
  /** Jobs for active, reactivated, deleted or re-timed subscriptions, now removed. */
  readonly orphans: number;
  /** Orphans left in place because the database looked wrong (no subscriptions at all); see the error log. */
  readonly orphansRefused: number;
  /** Expected jobs that failed for good; left for an operator (Bull Board) to inspect and retry. */
  readonly failed: number;
}

export interface ReconcileDeps {
  readonly subscriptions: SubscriptionRepository;
  readonly queue: Queue;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly onDrift?: (kind: DriftKind, count: number) => void;
}

export interface ReconcileOptions {
  readonly pageSize?: number;
  /** Called after each page with what has been scanned so far (subscriptions, then jobs). */
  readonly onProgress?: (phase: 'subscriptions' | 'jobs', scanned: number) => void;
}

const PENDING_STATES = ['delayed', 'waiting', 'prioritized'] as const;

function jobIdOf(subscriptionId: string, timer: ExpectedTimer): string {
  return timer.kind === 'deletion'
    ? deletionJobId(subscriptionId, timer.generation)
    : reminderJobId(subscriptionId, timer.generation, timer.offset ?? '');
}

/** When a delayed job will run, as BullMQ computes it. */
function runAtOf(job: Job): number {
  return job.timestamp + (job.opts.delay ?? 0);
}

/**
 * Makes Redis agree with MongoDB: every subscription with a deletion due has exactly its deletion job (and pending
 * reminders) at the right time, and no job exists that MongoDB does not expect. Works in pages, so it runs over millions.
 */
export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const pageSize = options.pageSize ?? 1_000;
  const counts = {
    subscriptionsScanned: 0,
    jobsScanned: 0,
    missing: 0,
    overdueMissing: 0,
    wrongTime: 0,
    orphans: 0,
    orphansRefused: 0,
    failed: 0,
  };

  // Pass 1, MongoDB → Redis: schedule what is missing, re-time what is wrong.
  for (let after: string | null = null; ;) {
    const page: Subscription[] = await deps.subscriptions.pageWithTimers(after, pageSize);
    if (page.length === 0) break;
    const now = deps.clock();
    const wanted = page.flatMap((state) =>
      expectedTimers(state, now).map((timer) => ({ state, timer, jobId: jobIdOf(state.subscriptionId, timer) })),
    );
    const jobs = await Promise.all(wanted.map(({ jobId }) => deps.queue.getJob(jobId)));
    const toAdd: typeof wanted = [];
    for (const [index, item] of wanted.entries()) {
      const job = jobs[index];
      if (job === undefined) {
        toAdd.push(item);
        counts.missing++;
        if (item.timer.kind === 'deletion' && item.timer.runAt <= now) counts.overdueMissing++;
        continue;
      }
      const state = await job.getState();
      if (state === 'failed') counts.failed++;
      if (state === 'delayed' && Math.abs(runAtOf(job) - item.timer.runAt) > 1_000) {
        await job.remove();
        toAdd.push(item);
        counts.wrongTime++;
      }
    }
    if (toAdd.length > 0) {
      await deps.queue.addBulk(
        toAdd.map(({ state, timer, jobId }) => ({
          name: timer.kind === 'deletion' ? DATA_DELETION : DELETION_REMINDER,
          data:
            timer.kind === 'deletion'
              ? { subscriptionId: state.subscriptionId, generation: timer.generation }
              : { subscriptionId: state.subscriptionId, generation: timer.generation, offset: timer.offset ?? '' },
          opts: timerJobOptions(jobId, timer.runAt, now),
        })),
      );
    }
    counts.subscriptionsScanned += page.length;
    options.onProgress?.('subscriptions', counts.subscriptionsScanned);
    after = page.at(-1)?.subscriptionId ?? null;
  }

  // Pass 2, Redis → MongoDB: remove jobs no subscription expects. Collected first, removed after, so paging is stable.
  const orphans: string[] = [];
  for (let start = 0; ; start += pageSize) {
    const jobs = (await deps.queue.getJobs([...PENDING_STATES], start, start + pageSize - 1, true)).filter(
      (job): job is Job => job.name === DATA_DELETION || job.name === DELETION_REMINDER,
    );
    if (jobs.length === 0) break;
    const ids = [
      ...new Set(
        jobs.map((job) => (job.data as { subscriptionId?: unknown }).subscriptionId).filter((id): id is string => typeof id === 'string'),
      ),
    ];
    const states = await deps.subscriptions.load(ids);
    const now = deps.clock();
    for (const job of jobs) {
      const subscriptionId = (job.data as { subscriptionId?: unknown }).subscriptionId;
      const state = typeof subscriptionId === 'string' ? states.get(subscriptionId)?.state : undefined;
      const expected = state === undefined ? [] : expectedTimers(state, now).map((timer) => jobIdOf(state.subscriptionId, timer));
      // A reminder whose time has just come is on its way out, not an orphan.
      const justDue = job.name === DELETION_REMINDER && state?.deletion?.generation === (job.data as { generation?: unknown }).generation;
      if (job.id !== undefined && !expected.includes(job.id) && !justDue) orphans.push(job.id);
    }
    counts.jobsScanned += jobs.length;
    options.onProgress?.('jobs', counts.jobsScanned);
  }
  // An empty database beside a queue full of timers is a wrong MONGODB_URI or a queue shared with another
  // deployment, not a million orphans: removing them would cancel someone else's deletions.
  const statuses = orphans.length > 0 ? await deps.subscriptions.countByStatus() : null;
  if (statuses !== null && Object.values(statuses).every((count) => count === 0)) {
    deps.logger.error(
      { orphans: orphans.length },
      'refusing to remove timer jobs: the database has no subscriptions (wrong MONGODB_URI, or a queue shared with another deployment?)',
    );
    counts.orphansRefused = orphans.length;
  } else {
    for (const id of orphans) await deps.queue.remove(id);
    counts.orphans = orphans.length;
  }

  const drift: [DriftKind, number][] = [
    ['missing', counts.missing - counts.overdueMissing],
    ['overdue-missing', counts.overdueMissing],
    ['wrong-time', counts.wrongTime],
    ['orphan', counts.orphans],
  ];
  for (const [kind, count] of drift) if (count > 0) deps.onDrift?.(kind, count);
  const level = counts.missing + counts.wrongTime + counts.orphans > 0 ? 'warn' : 'info';
  deps.logger[level]({ ...counts }, 'reconciliation done');
  return counts;
}
