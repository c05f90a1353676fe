import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import type { JobDefinition, JobDeps } from '../../jobs/job';
import { AppError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { noMetrics } from '../../src/metrics/metrics';
import { DATA_DELETION, dataDeletionPayload, deletionJobId, TIMER_JOB_DATA, timerJobOptions } from '../../src/queue/timer-jobs';
import { startTimerWorker } from '../../src/queue/timer-worker';
import { testRedis } from '../support/redis.helper';
import { uniqueName } from '../support/unique-name';
import { eventually } from '../support/worker-harness';

/** The worker's own retries, which keep BullMQ's attempts/backoff options out of every delayed job. */
describe('timer worker retries', () => {
  let redis: Redis;
  let queue: Queue;
  let worker: Worker | undefined;
  let workerRedis: Redis | undefined;
  const calls = new Map<string, number>();
  const failFirst = new Map<string, number>();

  /** Per job, what each run does in turn (then `done`): fail, or wake early as a reminder does and sleep a little. */
  const scripts = new Map<string, readonly ('fail' | 'sleep' | 'bug' | 'bad-input')[]>();
  /** The job's data as each run saw it. */
  const seen = new Map<string, unknown[]>();

  const flaky: JobDefinition = {
    name: DATA_DELETION,
    payload: dataDeletionPayload,
    async process(_payload, jobId) {
      const call = (calls.get(jobId) ?? 0) + 1;
      calls.set(jobId, call);
      seen.set(jobId, [...(seen.get(jobId) ?? []), (await queue.getJob(jobId))?.data]);
      const step = scripts.get(jobId)?.[call - 1] ?? (call <= (failFirst.get(jobId) ?? 0) ? 'fail' : undefined);
      // A dependency away is retriable in the error table; a bug (no code) and bad input are not.
      if (step === 'fail') throw new AppError('DEPENDENCY_UNAVAILABLE', `transient failure ${call}`);
      if (step === 'bug') throw new Error(`a bug ${call}`);
      if (step === 'bad-input') throw new AppError('SCHEMA_VIOLATION', `bad input ${call}`);
      if (step === 'sleep') return { kind: 'delay-until', at: Date.now() + 50 };
      return { kind: 'done', outcome: 'ok' };
    },
  };

  beforeAll(() => {
    redis = testRedis();
    const name = uniqueName('retry-timers');
    queue = new Queue(name, { connection: redis, prefix: 'be-test' });
    // The worker only logs and counts failures through its deps; the flaky processor uses none of them.
    const deps = { logger: createLogger('silent'), metrics: noMetrics } as unknown as JobDeps;
    worker = startTimerWorker({
      queueName: name,
      prefix: 'be-test',
      connection: (workerRedis = redis.duplicate()),
      concurrency: 4,
      lockDurationMs: 30_000,
      registry: new Map([[DATA_DELETION, flaky]]),
      deps,
      retry: { retries: 3, baseMs: 20, maxMs: 100 },
    });
  });
  afterAll(async () => {
    await worker?.close();
    workerRedis?.disconnect();
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  const add = async (jobId: string) => {
    await queue.add(DATA_DELETION, TIMER_JOB_DATA, timerJobOptions(jobId, Date.now(), Date.now()));
  };

  it('retries a failing run with backoff, counting failures in the job data, until it succeeds', async () => {
    const jobId = deletionJobId('retry-ok', 1);
    failFirst.set(jobId, 2);
    await add(jobId);

    await eventually(() => expect(calls.get(jobId)).toBe(3));
    // Completed timers are removed by the worker's retention setting, not by an option on the job.
    await eventually(async () => expect(await queue.getJob(jobId)).toBeUndefined());
  });

  it('gives up after the configured retries and keeps the job as failed', async () => {
    const jobId = deletionJobId('retry-never', 1);
    failFirst.set(jobId, 1_000);
    await add(jobId);

    await eventually(async () => expect(await (await queue.getJob(jobId))?.getState()).toBe('failed'));
    expect(calls.get(jobId)).toBe(4);
    const failed = await queue.getJob(jobId);
    expect(failed?.data).toEqual({ failures: 3 });
    expect(failed?.failedReason).toBe('transient failure 4');
  });

  it('starts counting afresh after a run that succeeds and sleeps again: a reminder wake leaves the deletion all its retries', async () => {
    const jobId = deletionJobId('retry-after-wake', 1);
    // Three failures (all the retries there are) before the reminder goes out; then the deletion fails twice and succeeds.
    scripts.set(jobId, ['fail', 'fail', 'fail', 'sleep', 'fail', 'fail']);
    await add(jobId);

    const state = async () => (await (await queue.getJob(jobId))?.getState()) ?? 'absent';
    // Done (completed timers are removed) or failed for good, whichever comes: then which one.
    await eventually(async () => expect(['absent', 'failed']).toContain(await state()));
    expect(await state()).toBe('absent');
    expect(calls.get(jobId)).toBe(7);
    // The run after the reminder's wake counts its first attempt, not the reminder's fourth.
    expect(seen.get(jobId)?.slice(3)).toEqual([{ failures: 3 }, {}, { failures: 1 }, { failures: 2 }]);
  });

  it('follows the error table: an error that is not retriable (a bug, bad input) fails the job at once, no retries', async () => {
    for (const [name, step] of [
      ['retry-bug', 'bug'],
      ['retry-bad-input', 'bad-input'],
    ] as const) {
      const jobId = deletionJobId(name, 1);
      scripts.set(jobId, [step]);
      await add(jobId);
      await eventually(async () => expect(await (await queue.getJob(jobId))?.getState()).toBe('failed'));
      expect(calls.get(jobId)).toBe(1);
      const failed = await queue.getJob(jobId);
      // No retry count was ever stored: the first failure was the last.
      expect(failed?.data).toEqual({});
      expect(failed?.failedReason).toContain(step === 'bug' ? 'a bug 1' : 'bad input 1');
    }
  });

  it('refuses a job whose id names no subscription, without retrying', async () => {
    await queue.add(DATA_DELETION, TIMER_JOB_DATA, { jobId: 'not-a-timer' });

    await eventually(async () => expect(await (await queue.getJob('not-a-timer'))?.getState()).toBe('failed'));
    expect(calls.has('not-a-timer')).toBe(false);
    expect((await queue.getJob('not-a-timer'))?.failedReason).toContain('not a deletion job id');
  });
});
