import { Redis } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';

import { AppError } from '../../../src/errors';
import { connectRedisFailFast, redisConnection } from '../../../src/queue/redis';
import { redisConnectFailure } from '../../../src/queue/redis-errors';
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
    const error: unknown = await connectRedisFailFast(
      redisConnection({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_TLS_REJECT_UNAUTHORIZED: true }),
      'test',
    ).catch((failure: unknown) => failure);
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

describe('redisConnectFailure', () => {
  const settings = { REDIS_URL: 'rediss://u:pw@redis.example.com:6380/3', REDIS_TLS_REJECT_UNAUTHORIZED: true };
  const tls = redisConnection(settings);
  const plain = redisConnection({ ...settings, REDIS_URL: 'redis://redis.example.com:6379/3' });
  const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
  const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
  const closed = new Error('Connection is closed.');

  it("finds the setting to change in the client's error events, not in what connect() rejected with", () => {
    const cases: [Error, RegExp][] = [
      [replyError('WRONGPASS invalid username-password pair or user is disabled.'), /^REDIS_URL: .*refused its user name and password/],
      [replyError('NOAUTH Authentication required.'), /^REDIS_URL: .*requires a password \(NOAUTH\)/],
      [replyError('ERR DB index is out of range'), /^REDIS_URL: .*has no database 3/],
      [coded('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), /^REDIS_TLS_CA_FILE: .*set REDIS_TLS_CA_FILE/],
      [coded('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), /^REDIS_TLS_CA_FILE: /],
      [coded("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), /for another name/],
      [coded('certificate has expired', 'CERT_HAS_EXPIRED'), /an expired certificate/],
      [
        coded('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'),
        /^REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE: /,
      ],
      [coded('key values mismatch', 'ERR_OSSL_X509_KEY_VALUES_MISMATCH'), /not a usable PEM certificate and key/],
    ];
    for (const [event, message] of cases) {
      const failure = redisConnectFailure([event, closed], tls, 'end');
      expect(failure).toMatchObject({ code: 'CONFIG_INVALID', retriable: false, cause: event });
      expect(failure.message).toMatch(message);
      // The server is named without its credentials.
      expect(failure.message).not.toContain('pw');
    }
  });

  it('is DEPENDENCY_UNAVAILABLE when the server did not answer, with a hint at the other scheme', () => {
    const timeout = coded('connect ETIMEDOUT', 'ETIMEDOUT');
    expect(redisConnectFailure([timeout, closed], tls, 'end')).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      message:
        'Redis: connect failed: server unavailable at rediss://redis.example.com:6380/3 (if that port speaks plain Redis, use redis://)',
    });
    expect(redisConnectFailure([coded('read ECONNRESET', 'ECONNRESET'), closed], plain, 'end').message).toContain(
      '(if that port speaks TLS, use rediss://)',
    );
  });

  it('passes an AppError thrown by the check through (cluster mode)', () => {
    const cluster = new AppError('CONFIG_INVALID', 'cluster mode');
    expect(redisConnectFailure([cluster], plain, 'ready')).toBe(cluster);
  });
});
