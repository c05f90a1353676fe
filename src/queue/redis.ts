import { isIP } from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';

import { Redis, type RedisOptions } from 'ioredis';

import { describeEndpoint, parseRedisUrl, redisSettingsProblems, type RedisEndpoint, type RedisSettings } from '../config/redis-settings';
import { readSettingFile } from '../config/setting-file';
import { AppError, isAppError } from '../errors';
import { redisConnectFailure } from './redis-errors';

/** How every Redis client of ours reaches the server: REDIS_URL parsed once, the REDIS_TLS_* files read. */
export interface RedisConnection {
  readonly endpoint: RedisEndpoint;
  /** The server, without credentials: for messages and logs. */
  readonly where: string;
  /** ioredis's options for the endpoint: host and port or socket path, credentials, database, TLS. */
  readonly options: Readonly<RedisOptions>;
}

function tlsOptions(settings: RedisSettings, host: string): ConnectionOptions {
  const file = (name: 'REDIS_TLS_CA_FILE' | 'REDIS_TLS_CERT_FILE' | 'REDIS_TLS_KEY_FILE') => {
    const path = settings[name];
    return path === undefined ? undefined : readSettingFile(name, path);
  };
  const [ca, cert, key] = [file('REDIS_TLS_CA_FILE'), file('REDIS_TLS_CERT_FILE'), file('REDIS_TLS_KEY_FILE')];
  return {
    // Node sends no SNI unless told; proxies in front of managed Redis route by it.
    ...(isIP(host) === 0 ? { servername: host } : {}),
    rejectUnauthorized: settings.REDIS_TLS_REJECT_UNAUTHORIZED,
    ...(ca === undefined ? {} : { ca: [ca] }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

/** Reads the settings once for every client the process makes; a bad combination or an unreadable file is CONFIG_INVALID. */
export function redisConnection(settings: RedisSettings): RedisConnection {
  const parsed = parseRedisUrl(settings.REDIS_URL);
  const problems = redisSettingsProblems(settings);
  if (parsed.problems !== undefined || problems.length > 0)
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, { context: { problems } });
  const { endpoint } = parsed;
  const options: RedisOptions =
    endpoint.kind === 'socket'
      ? { path: endpoint.path, db: endpoint.db }
      : {
          host: endpoint.host,
          port: endpoint.port,
          db: endpoint.db,
          ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
          ...(endpoint.password === undefined ? {} : { password: endpoint.password }),
          ...(endpoint.tls ? { tls: tlsOptions(settings, endpoint.host) } : {}),
        };
  return { endpoint, where: describeEndpoint(endpoint), options: Object.freeze(options) };
}

/** BullMQ workers block on Redis; they need commands that wait instead of failing after N retries. */
export function connectRedis(connection: RedisConnection, name: string): Redis {
  return new Redis({ ...connection.options, maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name, lazyConnect: false });
}

/**
 * A connection for a short-lived tool, or for checking the settings at start-up: it fails within seconds when Redis is
 * away instead of waiting for it, and resolves only once Redis has answered a PING and selected REDIS_URL's database.
 * A server that refuses the settings (credentials, certificate, database, cluster mode) is CONFIG_INVALID, naming what to
 * change; one that does not answer is DEPENDENCY_UNAVAILABLE.
 */
export async function connectRedisFailFast(connection: RedisConnection, name: string): Promise<Redis> {
  const client = new Redis({
    ...connection.options,
    lazyConnect: true,
    connectionName: name,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => (attempt > 2 ? null : attempt * 200),
  });
  // Why a connection failed is told by 'error' events (a certificate refused, AUTH refused), not by what connect()
  // rejects with ("Connection is closed"); and an unheard 'error' event would crash the process.
  const heard: unknown[] = [];
  const hear = (error: unknown) => heard.push(error);
  client.on('error', hear);
  try {
    await client.connect();
    await client.ping();
    // ioredis only reports a failed SELECT as an 'error' event, and then works on database 0.
    if (connection.endpoint.db !== 0) await client.select(connection.endpoint.db);
    const cluster = await client.info('cluster').catch(() => '');
    if (/^cluster_enabled:1/m.test(cluster))
      throw new AppError(
        'CONFIG_INVALID',
        `REDIS_URL: Redis at ${connection.where} runs in cluster mode, which the worker does not support: use a standalone Redis (with replicas if you like)`,
      );
  } catch (error) {
    const status = client.status;
    client.disconnect();
    const diagnosis = isAppError(error) ? undefined : await tlsDiagnosis(connection);
    throw redisConnectFailure([...heard, ...(diagnosis === undefined ? [] : [diagnosis]), error], connection, status);
  }
  client.off('error', hear);
  client.on('error', () => undefined);
  return client;
}

/**
 * Why TLS to the server fails, from a bare TLS socket that sends one PING and waits for the answer: ioredis writes at
 * once, and a server refusing the client's certificate then often shows only as a reset. Undefined when TLS is not it.
 */
async function tlsDiagnosis(connection: RedisConnection): Promise<unknown> {
  const { endpoint, options } = connection;
  if (endpoint.kind !== 'tcp' || !endpoint.tls || typeof options.tls !== 'object') return undefined;
  const tlsSettings = options.tls;
  return await new Promise<unknown>((resolve) => {
    const socket = tls.connect({ ...tlsSettings, host: endpoint.host, port: endpoint.port });
    const done = (result: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(undefined), 3_000);
    socket.once('secureConnect', () => socket.write('PING\r\n'));
    socket.once('data', () => done(undefined));
    socket.once('error', done);
  });
}

/**
 * Connects once with the settings and closes again: the worker's own clients retry forever, so a setting Redis refuses
 * would otherwise show only as a first call that never returns. Throws as connectRedisFailFast does.
 */
export async function checkRedis(connection: RedisConnection): Promise<void> {
  const client = await connectRedisFailFast(connection, 'billing-enforcer-check');
  client.disconnect();
}
