import { testRedis } from '../support/redis.helper';
import { startWorker } from '../support/worker-harness';

/** Our clients on the shared Redis, by the name each connection gives itself (CLIENT LIST `name=`). */
async function clientsNamed(redis: ReturnType<typeof testRedis>, name: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

describe('a start-up that fails half-way', () => {
  const redis = testRedis();
  afterAll(async () => {
    await redis.quit();
  });

  it('closes what had opened before the error reaches the caller (no Redis client left behind)', async () => {
    // Other workers may share this Redis (a local worker, another test run): count what this start-up leaves.
    const names = ['billing-enforcer-queue', 'billing-enforcer-worker'];
    const before = await Promise.all(names.map((name) => clientsNamed(redis, name)));
    // MongoDB and Redis open first; creating the topics then fails: one broker cannot hold three replicas.
    await expect(startWorker({ KAFKA_REPLICATION_FACTOR: '3' })).rejects.toThrow(/INVALID_REPLICATION_FACTOR/);
    expect(await Promise.all(names.map((name) => clientsNamed(redis, name)))).toEqual(before);
  });
});
