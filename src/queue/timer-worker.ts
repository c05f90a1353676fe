import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Tracer } from '@opentelemetry/api';
import type { Redis } from 'ioredis';

import type { z } from 'zod';

import type { Logger } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { TIMER_RETRY, timerRetries, timerRetryDelayMs, type RetryPolicy } from '../retry-policies';
import { inTimerSpan, timerRunFailed } from '../tracing/timer-spans';
import { scheduledBy, type TimerJobName } from './timer-jobs';

/** What a processor asks of the queue when it is done: nothing, or to run again later. */
export type TimerResult = { readonly kind: 'done'; readonly outcome: string } | { readonly kind: 'delay-until'; readonly at: number };

/** What the worker needs of a processor's dependencies; the processors themselves (jobs/) need more. */
export interface TimerWorkerDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A processor as the worker sees it: jobs/ defines them, the composition root registers them here. */
export interface TimerProcessor<D> {
  readonly name: TimerJobName;
  readonly payload: z.ZodType;
  readonly process: (payload: unknown, jobId: string, deps: D) => Promise<TimerResult>;
}

/** Failed timers stay a month for operators to inspect and retry from Bull Board; completed ones are gone for good. */
const KEEP_FAILED_SECONDS = 30 * 24 * 3600;

/** Retries so far, kept in the job's data only once a run has failed (a healthy timer's data stays empty). */
function failuresOf(job: Job): number {
  const failures = (job.data as { failures?: unknown } | null)?.failures;
  return typeof failures === 'number' ? failures : 0;
}

/** The job's data without the retry count (the scheduling span's traceparent, if any, stays). */
function withoutFailures(data: unknown): object {
  const { failures: _failures, ...rest } = (data ?? {}) as { failures?: unknown };
  return rest;
}

const describeFailure = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * Runs timer jobs through their registered processors; BullMQ specifics stay here. Retries are ours rather than BullMQ's
 * `attempts`/`backoff` job options, which would be stored in every delayed job (see timerJobOptions).
 */
export function startTimerWorker<D extends TimerWorkerDeps>(options: {
  queueName: string;
  prefix: string;
  connection: Redis;
  concurrency: number;
  lockDurationMs: number;
  registry: ReadonlyMap<TimerJobName, TimerProcessor<D>>;
  deps: D;
  /** How often a retriable failure is tried again (default: `TIMER_RETRY`, src/retry-policies.ts). */
  retry?: RetryPolicy;
  /** A span per run, linked to the span that scheduled the timer (src/tracing/timer-spans.ts); null or absent: none. */
  tracer?: Tracer | null;
}): Worker {
  const { registry, deps } = options;
  const retry = options.retry ?? TIMER_RETRY;
  const tracer = options.tracer ?? null;
  const run = async (job: Job, token: string | undefined): Promise<string> => {
    const definition = registry.get(job.name as TimerJobName);
    if (definition === undefined) throw new UnrecoverableError(`no processor for job ${job.name}`);
    const jobId = job.id ?? '';
    const data: unknown = job.data;
    const payload = definition.payload.safeParse({ jobId, data });
    if (!payload.success) throw new UnrecoverableError(`bad payload for ${job.name}: ${payload.error.message}`);
    const result = await definition.process(payload.data, jobId, deps);
    if (result.kind === 'delay-until') {
      // This run succeeded (a reminder's wake): the next one, days later, gets all its retries.
      if (failuresOf(job) > 0) await job.updateData(withoutFailures(job.data));
      await job.moveToDelayed(result.at, token);
      throw new DelayedError();
    }
    deps.logger.info({ jobId, job: job.name, outcome: result.outcome }, 'timer job done');
    return result.outcome;
  };
  const worker = new Worker(
    options.queueName,
    async (job: Job, token?: string) =>
      await inTimerSpan(tracer, { name: job.name, id: job.id ?? '', attempt: failuresOf(job) + 1 }, scheduledBy(job.data), async () => {
        try {
          return await run(job, token);
        } catch (error) {
          if (error instanceof DelayedError || error instanceof UnrecoverableError) throw error;
          // The error table decides: bad input or a bug would fail the same way again, so the job fails now.
          if (!timerRetries(error)) {
            deps.logger.warn({ jobId: job.id, job: job.name, err: error }, 'timer job failed with an error that is not retried');
            throw new UnrecoverableError(describeFailure(error));
          }
          const failures = failuresOf(job) + 1;
          if (failures > retry.retries) throw error;
          const retryInMs = timerRetryDelayMs(failures, retry);
          deps.logger.warn({ jobId: job.id, job: job.name, err: error, failures, retryInMs }, 'timer job failed; retrying');
          deps.metrics.timerJobFailed(job.name, false);
          timerRunFailed(error);
          // Kept with the count: the scheduling span's traceparent, should the job have one.
          await job.updateData({ ...(job.data as object | null), failures });
          await job.moveToDelayed(Date.now() + retryInMs, token);
          throw new DelayedError();
        }
      }),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      removeOnComplete: { count: 0 },
      removeOnFail: { age: KEEP_FAILED_SECONDS },
      autorun: true,
    },
  );
  worker.on('failed', (job, error) => {
    deps.logger.error({ jobId: job?.id, job: job?.name, err: error }, 'timer job failed for good');
    deps.metrics.timerJobFailed(job?.name ?? 'unknown', true);
  });
  worker.on('error', (error) => {
    deps.logger.error({ err: error }, 'timer worker error');
  });
  return worker;
}
