import { Redis } from 'ioredis';

import { stackConnection } from './stack-env';

/** An ioredis connection BullMQ accepts for queues and workers alike (`maxRetriesPerRequest: null`). Call `quit()` when done. */
export function testRedis(): Redis {
  return new Redis(stackConnection().REDIS_URL, { maxRetriesPerRequest: null });
}
