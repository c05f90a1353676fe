import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadConfig, loadSettings } from '../../../src/config/config';
import { parseRedisUrl, REDIS_SETTINGS, type RedisSettings } from '../../../src/config/redis-settings';
import { isAppError } from '../../../src/errors';
import { redisConnection } from '../../../src/queue/redis';

const base = { KAFKA_BROKERS: 'kafka:9092', MONGODB_URI: 'mongodb://mongo/db' };
const plain: RedisSettings = { REDIS_URL: 'redis://redis:6379', REDIS_TLS_REJECT_UNAUTHORIZED: true };

function configError(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (isAppError(error)) return error.message;
  }
  return 'no error';
}

describe('REDIS_URL', () => {
  it.each([
    ['redis://redis.example.com', { kind: 'tcp', tls: false, host: 'redis.example.com', port: 6379, db: 0 }],
    ['redis://redis:6380/2', { kind: 'tcp', tls: false, host: 'redis', port: 6380, db: 2 }],
    ['redis://redis:6380?db=3', { kind: 'tcp', host: 'redis', db: 3 }],
    ['rediss://user:p%40ss@redis:6380/1', { kind: 'tcp', tls: true, host: 'redis', username: 'user', password: 'p@ss', db: 1 }],
    ['redis://:secret@redis', { kind: 'tcp', password: 'secret', db: 0 }],
    ['redis://[::1]:6379', { kind: 'tcp', host: '::1', port: 6379 }],
    ['unix:///var/run/redis/redis.sock', { kind: 'socket', path: '/var/run/redis/redis.sock', db: 0 }],
    ['unix:///var/run/redis/redis.sock?db=4', { kind: 'socket', path: '/var/run/redis/redis.sock', db: 4 }],
  ])('accepts %s', (url, endpoint) => {
    const parsed = parseRedisUrl(url);
    expect(parsed.problems).toBeUndefined();
    expect(parsed.endpoint).toMatchObject(endpoint);
    expect(loadConfig({ ...base, REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  // What ioredis would do with each: crash (SELECT NaN), select db 0 instead, connect to localhost:6379, ignore or
  // misread the parameter, or fail to parse at the first connection.
  it.each([
    ['redis://redis:6379/abc', 'the path is the database, a number'],
    ['redis://redis:6379/2/3', 'the path is the database, a number'],
    ['redis://redis/2?db=3', 'names the database twice'],
    ['redis:///var/run/redis.sock', 'names no host (for a unix socket, write unix:///path/to/redis.sock)'],
    ['redis://redis:6380?ssl=true&password=x', 'query parameters are not supported (ssl, password)'],
    ['redis://secret-password@redis', 'has a user but no password; a password alone is written redis://:password@host'],
    ['redis://redis:0', 'port 0 is not a port'],
    ['redis://:pa#ss@redis', "not a URL (a password's '#', '?', '/' or '@' is written %23, %3F, %2F, %40)"],
    ['redis://:pass@redis:6379#0', "has a '#' fragment"],
    ['redis://:50%secret@redis', "a '%' in the user or password is written %25"],
    ['redis://a:6379,b:6379', 'not a URL (a list of hosts: Redis Cluster and Sentinel are not supported)'],
    ['redis-sentinel://s1:26379/mymaster', 'Redis Sentinel is not supported'],
    ['http://redis:6379', 'must be a redis:// or rediss:// URL, or unix:// for a socket'],
    ['unix://:secret@localhost/var/run/redis.sock', 'a unix:// URL names a socket only'],
    ['unix:///var/run/redis.sock?db=x', 'the database must be a number'],
  ])('refuses %s, saying why and never echoing a value', (url, problem) => {
    const message = configError({ REDIS_URL: url });
    expect(message).toContain(`REDIS_URL: ${problem}`);
    expect(message).not.toContain('secret');
  });

  it('is checked by the CLI commands that use it too', () => {
    expect(() => loadSettings(REDIS_SETTINGS, { REDIS_URL: 'redis://h/abc' })).toThrow('REDIS_URL: the path is the database');
  });
});

describe('Redis TLS settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-redis-tls-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it('refuses TLS files without rediss://, and half a client certificate', () => {
    expect(configError({ REDIS_URL: 'redis://redis', REDIS_TLS_CA_FILE: '/ca.pem' })).toContain(
      'REDIS_TLS_CA_FILE: set, but REDIS_URL is not rediss:// (TLS needs rediss://)',
    );
    expect(configError({ REDIS_URL: 'redis://redis', REDIS_TLS_REJECT_UNAUTHORIZED: 'false' })).toContain(
      'REDIS_TLS_REJECT_UNAUTHORIZED: set, but REDIS_URL is not rediss://',
    );
    expect(configError({ REDIS_URL: 'rediss://redis', REDIS_TLS_CERT_FILE: '/c.pem' })).toContain(
      'REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE: a client certificate needs both',
    );
  });

  it('gives every client the TLS options: the CA, the client certificate and key, certificate checking', () => {
    const settings = loadConfig({
      ...base,
      REDIS_URL: 'rediss://u:pw@redis.example.com:6380/5',
      REDIS_TLS_CA_FILE: file('ca.pem', 'CA PEM'),
      REDIS_TLS_CERT_FILE: file('client.pem', 'CERT PEM'),
      REDIS_TLS_KEY_FILE: file('client.key', 'KEY PEM'),
    });
    const connection = redisConnection(settings);
    expect(connection.options).toEqual({
      host: 'redis.example.com',
      port: 6380,
      db: 5,
      username: 'u',
      password: 'pw',
      tls: { servername: 'redis.example.com', rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' },
    });
    // Messages and logs name the server without its credentials.
    expect(connection.where).toBe('rediss://redis.example.com:6380/5');
    // SNI for a host name (proxies in front of managed Redis route by it), none for an address.
    expect(redisConnection({ ...plain, REDIS_URL: 'rediss://10.0.0.7' }).options.tls).toEqual({ rejectUnauthorized: true });
    expect(redisConnection({ ...plain, REDIS_URL: 'rediss://[::1]', REDIS_TLS_REJECT_UNAUTHORIZED: false }).options.tls).toEqual({
      rejectUnauthorized: false,
    });
    expect(redisConnection(plain).options).toEqual({ host: 'redis', port: 6379, db: 0 });
    expect(redisConnection({ ...plain, REDIS_URL: 'unix:///run/redis.sock?db=2' })).toMatchObject({
      options: { path: '/run/redis.sock', db: 2 },
      where: 'unix:///run/redis.sock?db=2',
    });
  });

  it('refuses a TLS file it cannot read, naming the setting and the path', () => {
    expect(() => redisConnection({ ...plain, REDIS_URL: 'rediss://redis', REDIS_TLS_CA_FILE: path.join(dir, 'absent.pem') })).toThrow(
      `REDIS_TLS_CA_FILE: cannot read ${path.join(dir, 'absent.pem')} (ENOENT)`,
    );
  });
});
