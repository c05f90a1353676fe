import type { Queue } from 'bullmq';

import { queueCall } from './redis-errors';

/** What Redis holds for one timer job, read without loading the job. */
export interface TimerJobSighting {
  readonly exists: boolean;
  /** When a delayed job will run; null unless it is delayed. */
  readonly delayedUntil: number | null;
  readonly failed: boolean;
  /** Set while the job waits to retry a failed run: its time is the backoff's, not the timer's. */
  readonly retrying: boolean;
}

// BullMQ keeps a delayed job's run time in its score, times 0x1000 plus an ordering counter (getDelayedScore.lua).
const DELAYED_SCORE_FACTOR = 0x1000;

/**
 * One round trip for a page of job ids: whether each exists, whether it is delayed and until when, and
 * whether it failed. The reconciler reads a million timers this way instead of loading each job and its state.
 */
export async function sightTimerJobs(queue: Queue, ids: readonly string[]): Promise<TimerJobSighting[]> {
  if (ids.length === 0) return [];
  return await queueCall(queue, { op: 'sight timer jobs', count: ids.length }, () => sight(queue, ids));
}

async function sight(queue: Queue, ids: readonly string[]): Promise<TimerJobSighting[]> {
  const client = await queue.getBackend().client;
  const delayedKey = queue.toKey('delayed');
  const failedKey = queue.toKey('failed');
  // Issued together, the commands share the connection's write buffer: one round trip in effect, not 3 per job.
  return await Promise.all(
    ids.map(async (id) => {
      const [data, delayedScore, failedScore] = await Promise.all([
        client.hget(queue.toKey(id), 'data'),
        client.zscore(delayedKey, id),
        client.zscore(failedKey, id),
      ]);
      return {
        exists: data !== null,
        delayedUntil: delayedScore === null ? null : Math.floor(Number(delayedScore) / DELAYED_SCORE_FACTOR),
        failed: failedScore !== null,
        retrying: data !== null && data.includes('"failures"'),
      };
    }),
  );
}

/** When each job was added (BullMQ's `timestamp`), null for a job that is gone; one round trip for the page. */
export async function jobTimestamps(queue: Queue, ids: readonly string[]): Promise<(number | null)[]> {
  const stamps = await queueCall(queue, { op: 'job timestamps', count: ids.length }, async () => {
    const client = await queue.getBackend().client;
    return await Promise.all(ids.map((id) => client.hget(queue.toKey(id), 'timestamp')));
  });
  return stamps.map((stamp) => (stamp === null ? null : Number(stamp)));
}

const PENDING_TYPES = ['delayed', 'wait', 'prioritized'] as const;

/** Every pending job id (delayed, waiting, prioritized), a page at a time, without loading the jobs. */
export async function* pendingJobIds(queue: Queue, pageSize: number): AsyncGenerator<string[]> {
  for (const type of PENDING_TYPES) {
    for (let start = 0; ; start += pageSize) {
      const ids = await queueCall(queue, { op: 'pending job ids', type }, () => queue.getRanges([type], start, start + pageSize - 1, true));
      if (ids.length === 0) break;
      yield ids;
    }
  }
}
