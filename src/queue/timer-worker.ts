import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

import type { JobDefinition, JobDeps } from '../../jobs/job';
import type { TimerJobName } from './timer-jobs';

/** Runs timer jobs through their registered processors; BullMQ specifics stay here. */
export function startTimerWorker(options: {
  queueName: string;
  prefix: string;
  connection: Redis;
  concurrency: number;
  lockDurationMs: number;
  registry: ReadonlyMap<TimerJobName, JobDefinition>;
  deps: JobDeps;
}): Worker {
  const { registry, deps } = options;
  const worker = new Worker(
    options.queueName,
    async (job: Job, token?: string) => {
      const definition = registry.get(job.name as TimerJobName);
      if (definition === undefined) throw new UnrecoverableError(`no processor for job ${job.name}`);
      const payload = definition.payload.safeParse(job.data);
      if (!payload.success) throw new UnrecoverableError(`bad payload for ${job.name}: ${payload.error.message}`);
      const jobId = job.id ?? '';
      const result = await definition.process(payload.data, jobId, deps);
      if (result.kind === 'delay-until') {
        await job.moveToDelayed(result.at, token);
        throw new DelayedError();
      }
      deps.logger.info({ jobId, job: job.name, outcome: result.outcome }, 'timer job done');
      return result.outcome;
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      autorun: true,
    },
  );
  worker.on('failed', (job, error) => {
    deps.logger.warn({ jobId: job?.id, job: job?.name, err: error, attemptsMade: job?.attemptsMade }, 'timer job failed');
  });
  worker.on('error', (error) => {
    deps.logger.error({ err: error }, 'timer worker error');
  });
  return worker;
}
