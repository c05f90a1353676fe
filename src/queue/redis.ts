import { Redis } from 'ioredis';

import { redisFailure } from '../redis-errors';

/** BullMQ workers block on Redis; they need commands that wait instead of failing after N retries. */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name, lazyConnect: false });
}

/**
 * A connection for a short-lived tool: it fails within seconds when Redis is away instead of waiting for it, and
 * resolves only once Redis has answered a PING.
 */
export async function connectRedisFailFast(url: string, name: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => (attempt > 2 ? null : attempt * 200),
  });
  // Failures surface through connect() and each command; an unheard 'error' event would crash the process instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const status = client.status;
    client.disconnect();
    throw redisFailure(error, { op: 'connect' }, status);
  }
  return client;
}
