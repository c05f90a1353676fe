import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import type { JobDefinition, JobDeps } from '../../jobs/job';
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

  const flaky: JobDefinition = {
    name: DATA_DELETION,
    payload: dataDeletionPayload,
    process(_payload, jobId) {
      const call = (calls.get(jobId) ?? 0) + 1;
      calls.set(jobId, call);
      if (call <= (failFirst.get(jobId) ?? 0)) return Promise.reject(new Error(`transient failure ${call}`));
      return Promise.resolve({ kind: 'done', outcome: 'ok' });
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

  it('refuses a job whose id names no subscription, without retrying', async () => {
    await queue.add(DATA_DELETION, TIMER_JOB_DATA, { jobId: 'not-a-timer' });

    await eventually(async () => expect(await (await queue.getJob('not-a-timer'))?.getState()).toBe('failed'));
    expect(calls.has('not-a-timer')).toBe(false);
    expect((await queue.getJob('not-a-timer'))?.failedReason).toContain('not a deletion job id');
  });
});
