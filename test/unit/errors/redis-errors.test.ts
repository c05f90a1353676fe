import { Redis } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';

import { AppError } from '../../../src/errors';
import { connectRedisFailFast } from '../../../src/queue/redis';
import { redisFailure } from '../../../src/redis-errors';

const context = { op: 'pending-effects mark', key: 'k' };

describe('redisFailure', () => {
  it('maps ioredis giving up (MaxRetriesPerRequestError) to DEPENDENCY_UNAVAILABLE, keeping cause and context', async () => {
    const client = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, retryStrategy: () => 50, lazyConnect: true });
    client.on('error', () => undefined);
    void client.connect().catch(() => undefined);
    const error: unknown = await client.ping().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(MaxRetriesPerRequestError);
    // By its class alone, whatever the client's state.
    expect(redisFailure(error, context, 'ready')).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', cause: error, context });
    client.disconnect();
  });

  it('maps a refused connection (ECONNREFUSED) to DEPENDENCY_UNAVAILABLE, through connectRedisFailFast', async () => {
    const error: unknown = await connectRedisFailFast('redis://127.0.0.1:1', 'test').catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
    expect(redisFailure(refused, context, 'ready').code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  it("tells a bare ioredis error apart by the client's state, not by its message", () => {
    const closed = new Error('Connection is closed.');
    expect(redisFailure(closed, context, 'reconnecting').code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(redisFailure(closed, context, 'ready').code).toBe('INTERNAL');
    expect(redisFailure(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), context, 'ready')).toMatchObject({
      code: 'INTERNAL',
      retriable: false,
    });
  });

  it('passes an AppError through unchanged', () => {
    const busy = new AppError('SUBSCRIPTION_BUSY', 'held');
    expect(redisFailure(busy, context, 'end')).toBe(busy);
  });
});
