import { z } from 'zod';

import type { JobsOptions } from 'bullmq';

/** Job names on the timer queue. */
export const DATA_DELETION = 'data-deletion';
/** The repeatable job that makes Redis agree with MongoDB. */
export const RECONCILE = 'reconcile';
export type TimerJobName = typeof DATA_DELETION | typeof RECONCILE;

/** What a processor is given: the job's id and its data, checked by the job's payload schema. */
export interface JobInput {
  readonly jobId: string;
  readonly data: unknown;
}

export const reconcilePayload = z.object({ jobId: z.string(), data: z.unknown() });

// Job ids are deterministic per timer generation (BullMQ ids may not contain ':'; subscription ids cannot).
const DELETION_JOB_ID = /^d\.([1-9][0-9]{0,14})\.([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

export function deletionJobId(subscriptionId: string, generation: number): string {
  return `d.${generation}.${subscriptionId}`;
}

/** The subscription and timer generation a deletion job id names, or null for any other id. */
export function parseDeletionJobId(jobId: string): { subscriptionId: string; generation: number } | null {
  const match = DELETION_JOB_ID.exec(jobId);
  if (match === null) return null;
  return { generation: Number(match[1]), subscriptionId: match[2] ?? '' };
}

/** The job id carries everything the deletion job needs, so its data stays empty (docs/PERFORMANCE.md). */
export const dataDeletionPayload = z.object({ jobId: z.string(), data: z.unknown() }).transform((input, context) => {
  const parsed = parseDeletionJobId(input.jobId);
  if (parsed === null) {
    context.addIssue({ code: 'custom', message: `not a deletion job id: ${input.jobId}` });
    return z.NEVER;
  }
  return parsed;
});
export type DataDeletionPayload = z.infer<typeof dataDeletionPayload>;

/**
 * A timer job's options: its id and delay, nothing else. Every other option BullMQ would copy into each job's `opts`
 * field; past 64 bytes a field turns Redis's compact listpack hash into a real hash table, which more than doubles the
 * job's memory. Retention and retries are the worker's settings instead (timer-worker.ts).
 */
export function timerJobOptions(jobId: string, runAt: number, now: number): JobsOptions {
  return { jobId, delay: Math.max(0, runAt - now) };
}

/** The data every timer job is added with; the id names the subscription. */
export const TIMER_JOB_DATA = {};

/**
 * While tracing is on, a timer's data holds the W3C traceparent of the span that scheduled it, under one short key:
 * `{"t":"00-…-01"}` is 63 bytes, within Redis's 64-byte listpack value, so the job's hash stays compact.
 */
export interface TimerJobData {
  readonly t?: string;
}

/** The scheduling span's traceparent stored in a job's data, unchecked (the worker parses it strictly). */
export function scheduledBy(data: unknown): string | undefined {
  const stored = (data as { t?: unknown } | null)?.t;
  return typeof stored === 'string' ? stored : undefined;
}

/** A timer job as `addBulk` takes it: the one place a timer job's name, data and options are put together. */
export function timerJob(
  jobId: string,
  runAt: number,
  now: number,
  traceparent?: string,
): { name: typeof DATA_DELETION; data: TimerJobData; opts: JobsOptions } {
  return {
    name: DATA_DELETION,
    data: traceparent === undefined ? TIMER_JOB_DATA : { t: traceparent },
    opts: timerJobOptions(jobId, runAt, now),
  };
}
