import type { Queue } from 'bullmq';

import { AppError } from '../errors';
import { causeChain, isUntrustedCertificate } from '../network-errors';
import { type RedisContext, redisFailure } from '../redis-errors';
import type { RedisConnection } from './redis';

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

/** What to change when `error` (or a cause of it) says the server refused the settings, never a secret; or undefined. */
function settingToFix(error: unknown, connection: RedisConnection): string | undefined {
  const where = `Redis at ${connection.where}`;
  for (const { name, message, code } of causeChain(error)) {
    if (name === 'ReplyError') {
      if (message.startsWith('WRONGPASS')) return `REDIS_URL: ${where} refused its user name and password (WRONGPASS)`;
      if (message.startsWith('NOAUTH'))
        return connection.endpoint.kind === 'socket'
          ? `REDIS_URL: ${where} requires a password (NOAUTH), which a unix:// URL cannot carry: connect by TCP (redis://:password@host)`
          : `REDIS_URL: ${where} requires a password (NOAUTH): redis://:password@host, or redis://user:password@host with ACL users`;
      if (/DB index is out of range/i.test(message))
        return `REDIS_URL: ${where} has no database ${connection.endpoint.db}: it must be below the server's \`databases\` setting (16 by default)`;
      continue;
    }
    if (isUntrustedCertificate(code))
      return `REDIS_TLS_CA_FILE: ${where} presented a certificate no trusted CA signed (${code}): set REDIS_TLS_CA_FILE to the PEM of the CA that did`;
    if (code === 'CERT_HAS_EXPIRED') return `REDIS_URL: ${where} presented an expired certificate (${code})`;
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return `REDIS_URL: ${where} presented a certificate for another name (${code}): use a host name the certificate holds`;
    if (/certificate required|handshake failure/i.test(message))
      return `REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE: ${where} refused the TLS handshake (${code || message}); a server that authenticates clients by TLS needs both`;
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message))
      return `REDIS_URL: ${where} does not speak TLS on that port (${code || message}): use redis://`;
    if (code.startsWith('ERR_OSSL'))
      return `REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE: not a usable PEM certificate and key (${code})`;
  }
  return undefined;
}

/**
 * Why a first connection failed: CONFIG_INVALID naming the setting to change when the server refused the credentials,
 * the certificate or the database (or we refused its certificate); otherwise `redisFailure` of the last error.
 * `errors` are the client's 'error' events in order, then what the call rejected with.
 */
export function redisConnectFailure(errors: readonly unknown[], connection: RedisConnection, status: string): AppError {
  const last = errors.at(-1);
  if (last instanceof AppError) return last;
  for (const error of errors) {
    const problem = settingToFix(error, connection);
    if (problem !== undefined)
      return new AppError('CONFIG_INVALID', problem, { cause: error, context: { op: 'connect', redis: connection.where } });
  }
  const failure = redisFailure(last, { op: 'connect', redis: connection.where }, status);
  // A TLS client on a plain port gets no answer to its hello, and a plain client on a TLS port is hung up on.
  if (failure.code !== 'DEPENDENCY_UNAVAILABLE') return failure;
  const hint =
    connection.endpoint.kind === 'tcp'
      ? connection.endpoint.tls
        ? ' (if that port speaks plain Redis, use redis://)'
        : ' (if that port speaks TLS, use rediss://)'
      : '';
  return new AppError(failure.code, `${failure.message} at ${connection.where}${hint}`, { cause: failure.cause, context: failure.context });
}
