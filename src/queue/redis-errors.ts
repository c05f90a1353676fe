import type { Queue } from 'bullmq';

import { AppError } from '../errors';
import { type RedisContext, redisFailure } from '../redis-errors';

/** `redisFailure` for a BullMQ queue's call, with the state of the queue's connection. */
export async function queueFailure(queue: Queue, error: unknown, context: RedisContext): Promise<AppError> {
  if (error instanceof AppError) return error;
  const status = await queue.getBackend().client.then(
    (client) => client.status,
    () => 'end',
  );
  return redisFailure(error, { ...context, queue: queue.name }, status);
}

/** Runs a BullMQ call, mapping what it throws. */
export async function queueCall<T>(queue: Queue, context: RedisContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw await queueFailure(queue, error, context);
  }
}
