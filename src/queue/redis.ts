import { Redis } from 'ioredis';

/** BullMQ workers block on Redis; they need commands that wait instead of failing after N retries. */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name, lazyConnect: false });
}
