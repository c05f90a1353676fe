import { MaxRetriesPerRequestError } from 'ioredis/built/errors';

import { AppError } from './errors';
import { isNetworkFault } from './network-errors';

export interface RedisContext {
  readonly op: string;
  readonly [key: string]: unknown;
}

/**
 * What a Redis (ioredis or BullMQ) call threw, as an AppError. DEPENDENCY_UNAVAILABLE when the socket failed, ioredis
 * gave up retrying, or the client was not connected when the call failed (ioredis rejects commands cut off by a
 * closing connection with a bare Error: its `status` is what says so); INTERNAL otherwise (a reply error is a bug).
 * An AppError passes through unchanged. Here, not in src/queue/: the leases and the pending-effects marks use Redis too.
 */
export function redisFailure(error: unknown, context: RedisContext, status?: string): AppError {
  if (error instanceof AppError) return error;
  const away = error instanceof MaxRetriesPerRequestError || isNetworkFault(error) || (status !== undefined && status !== 'ready');
  return new AppError(away ? 'DEPENDENCY_UNAVAILABLE' : 'INTERNAL', `Redis: ${context.op} failed${away ? ': server unavailable' : ''}`, {
    cause: error,
    context,
  });
}
