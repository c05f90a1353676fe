import type { Queue } from 'bullmq';

import { expectedTimer } from '../domain';
import type { Logger } from '../logging/logger';
import { deletionJobId, parseDeletionJobId, timerJob } from '../queue/timer-jobs';
import { jobTimestamps, pendingJobIds, sightTimerJobs } from '../queue/timer-inspection';
import { queueCall } from '../queue/redis-errors';
import { JobIdSet } from './job-id-set';
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

/** A job added less than this long before the run began may be one pass 1 could not have seen. */
const CLOCK_MARGIN_MS = 60_000;

/** A delayed job due within this much of now is left alone: it is about to run and will set its own next wake. */
const TIME_TOLERANCE_MS = 1_000;

/**
 * Makes Redis agree with MongoDB: every subscription with a deletion pending has exactly its one timer job, set for its
 * next wake (a reminder or the deletion), and no job exists that MongoDB does not expect. One pass over MongoDB and one
 * over Redis, in pages, each page of Redis read in one round trip, with 8 bytes of memory per expected job: it runs
 * over millions of subscriptions.
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

  const startedAt = deps.clock();
  // Pass 1, MongoDB → Redis: schedule what is missing, re-time what is wrong, remember what is expected.
  const expectedJobs = new JobIdSet();
  for await (const page of deps.subscriptions.scanWithTimers(pageSize)) {
    const now = deps.clock();
    const wanted = page.flatMap((state) => {
      const timer = expectedTimer(state, now);
      return timer === null ? [] : [{ timer, jobId: deletionJobId(state.subscriptionId, timer.generation) }];
    });
    for (const { jobId } of wanted) expectedJobs.add(jobId);
    const sightings = await sightTimerJobs(
      deps.queue,
      wanted.map(({ jobId }) => jobId),
    );
    const toAdd: typeof wanted = [];
    for (const [index, item] of wanted.entries()) {
      const job = sightings[index];
      if (job === undefined || !job.exists) {
        toAdd.push(item);
        counts.missing++;
        if (item.timer.dueAt <= now) counts.overdueMissing++;
        continue;
      }
      if (job.failed) counts.failed++;
      const until = job.delayedUntil;
      if (until !== null && !job.retrying && until > now + TIME_TOLERANCE_MS && Math.abs(until - item.timer.runAt) > TIME_TOLERANCE_MS) {
        await queueCall(deps.queue, { op: 'remove timer', jobId: item.jobId }, () => deps.queue.remove(item.jobId));
        toAdd.push(item);
        counts.wrongTime++;
      }
    }
    if (toAdd.length > 0) {
      await queueCall(deps.queue, { op: 'add timers', count: toAdd.length }, () =>
        deps.queue.addBulk(toAdd.map(({ timer, jobId }) => timerJob(jobId, timer.runAt, now))),
      );
    }
    counts.subscriptionsScanned += page.length;
    options.onProgress?.('subscriptions', counts.subscriptionsScanned);
  }

  // Pass 2, Redis: a job pass 1 did not expect is an orphan. Pass 1 read every subscription with a timer, and a timer's
  // generation only grows, so a job that existed before the pass began and was not expected never will be. A job added
  // since (a suspension during the pass) is left for the next run; clocks may differ, hence the margin. No second read
  // of MongoDB: pass 1 already has the answer, and a thousand point reads queued on FerretDB took minutes here.
  const addedBefore = startedAt - CLOCK_MARGIN_MS;
  const orphans: string[] = [];
  for await (const ids of pendingJobIds(deps.queue, pageSize)) {
    const candidates = ids.filter((jobId) => parseDeletionJobId(jobId) !== null && !expectedJobs.has(jobId));
    const addedAt = await jobTimestamps(deps.queue, candidates);
    for (const [index, jobId] of candidates.entries()) {
      const at = addedAt[index];
      if (at !== undefined && at !== null && at < addedBefore) orphans.push(jobId);
    }
    counts.jobsScanned += ids.length;
    options.onProgress?.('jobs', counts.jobsScanned);
  }
  // An empty database beside a queue full of timers is a wrong MONGODB_URI or a queue shared with another
  // deployment, not a million orphans: removing them would cancel someone else's deletions.
  // Pass 1 seeing a timer proves the database is the right one, without counting a million documents.
  const databaseEmpty = orphans.length > 0 && counts.subscriptionsScanned === 0 && (await deps.subscriptions.isEmpty());
  if (databaseEmpty) {
    deps.logger.error(
      { orphans: orphans.length },
      'refusing to remove timer jobs: the database has no subscriptions (wrong MONGODB_URI, or a queue shared with another deployment?)',
    );
    counts.orphansRefused = orphans.length;
  } else {
    for (const id of orphans) await queueCall(deps.queue, { op: 'remove orphan', jobId: id }, () => deps.queue.remove(id));
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
