import { mongo, Error as MongooseError } from 'mongoose';

import { AppError } from '../errors';
import { causeChain, isNetworkFault, isUntrustedCertificate } from '../network-errors';

// The driver's own classes for "no server to talk to", whatever the operation was.
const OUTAGES = [
  mongo.MongoNetworkError, // and its MongoNetworkTimeoutError, PoolClearedError
  mongo.MongoServerSelectionError,
  mongo.MongoTopologyClosedError,
  mongo.MongoNotConnectedError,
  mongo.MongoServerClosedError,
  mongo.MongoClientClosedError,
  mongo.MongoExpiredSessionError,
  MongooseError.MongooseServerSelectionError,
] as const;

// Labels the driver or the server put on errors a later attempt may not meet (mongo.MongoErrorLabel).
const OUTAGE_LABELS = [
  'RetryableWriteError',
  'TransientTransactionError',
  'ResetPool',
  'PoolRequestedRetry',
  'RetryableError',
  'SystemOverloadedError',
];

/**
 * Server codes of a node shutting down, stepping down or unreachable: the driver's retryable-reads list
 * (MONGODB_ERROR_CODES in mongodb's error.js, not exported).
 */
const OUTAGE_CODES: ReadonlySet<unknown> = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

export interface MongoContext {
  readonly op: string;
  readonly collection?: string;
  readonly [key: string]: unknown;
}

function isOutage(error: unknown): boolean {
  if (OUTAGES.some((type) => error instanceof type)) return true;
  if (error instanceof mongo.MongoError) return OUTAGE_LABELS.some((label) => error.hasErrorLabel(label)) || OUTAGE_CODES.has(error.code);
  return isNetworkFault(error);
}

/**
 * A connection string the driver cannot use. Its URL parser (mongodb-connection-string-url, not a dependency of ours)
 * throws a MongoParseError class of its own, which mongodb does not export: its name is what identifies it.
 */
function isParseError(error: unknown): boolean {
  return error instanceof mongo.MongoParseError || (error instanceof Error && error.name === 'MongoParseError');
}

/**
 * What a MongoDB (or FerretDB) call threw, as an AppError: DEPENDENCY_UNAVAILABLE when the server is away or said to
 * try again, CONFIG_INVALID for a connection string the driver cannot parse, INTERNAL for anything else (a query the
 * server rejects is a bug, retrying it changes nothing). An AppError passes through unchanged.
 */
export function mongoFailure(error: unknown, context: MongoContext): AppError {
  if (error instanceof AppError) return error;
  const where = context.collection === undefined ? context.op : `${context.op} on ${context.collection}`;
  if (isOutage(error))
    return new AppError('DEPENDENCY_UNAVAILABLE', `MongoDB: ${where} failed: server unavailable`, { cause: error, context });
  if (isParseError(error)) return new AppError('CONFIG_INVALID', `MongoDB: ${where}: invalid MONGODB_URI`, { cause: error, context });
  return new AppError('INTERNAL', `MongoDB: ${where} failed`, { cause: error, context });
}

/** Runs `call`, mapping what it throws (for calls off the hot path: the closure is an allocation per call). */
export async function mongoCall<T>(context: MongoContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mongoFailure(error, context);
  }
}

// Server codes of refused credentials: AuthenticationFailed, UserNotFound, MechanismUnavailable.
const AUTH_CODES: ReadonlySet<unknown> = new Set([18, 11, 334]);
/** The codes of the servers' own errors behind a failed server selection, and of their causes. */
function serverErrorCodes(error: unknown): string[] {
  const reason = (error as { reason?: mongo.TopologyDescription }).reason;
  return [...(reason?.servers.values() ?? [])].flatMap((server) => causeChain(server.error).map((facts) => facts.code));
}

/** What to change when a first connection says the server refused the settings, or undefined. */
function settingToFix(error: unknown): string | undefined {
  if (error instanceof mongo.MongoServerError && AUTH_CODES.has(error.code))
    return `MONGODB_URI: the server refused to authenticate (${error.codeName ?? String(error.code)}: ${error.message.split('\n')[0] ?? ''}): check the user and password, authSource and authMechanism`;
  if (error instanceof mongo.MongoMissingDependencyError) return `MONGODB_URI: ${error.message}`;
  const opened = causeChain(error)[0];
  if (opened !== undefined && (error as { syscall?: unknown }).syscall === 'open')
    return `MONGODB_URI: a TLS file it names cannot be read (${opened.message})`;
  const reason = (error as { reason?: mongo.TopologyDescription }).reason;
  // Seeds that answered but are not members of the named set are dropped from the topology, leaving none.
  if (reason?.setName !== undefined && reason.setName !== null && reason.servers.size === 0)
    return `MONGODB_URI: replicaSet names a set no server in the URI belongs to (a standalone server, or another set's): correct or remove replicaSet`;
  for (const code of serverErrorCodes(error)) {
    if (isUntrustedCertificate(code))
      return `MONGODB_URI: the server presented a certificate no trusted CA signed (${code}): add tlsCAFile=/path/to/ca.pem for a private CA`;
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return `MONGODB_URI: the server's certificate is for another name (${code}): use a host name the certificate holds`;
    if (code === 'CERT_HAS_EXPIRED') return `MONGODB_URI: the server presented an expired certificate (${code})`;
  }
  return undefined;
}

/**
 * What a first connection threw: CONFIG_INVALID naming what to change when the server refused the settings (credentials,
 * certificate, replica set name) or the driver could not use them; otherwise as `mongoFailure` (an absent server is
 * DEPENDENCY_UNAVAILABLE). Only for connecting: credentials refused later, by a rotated password, are an outage to wait out.
 */
export function mongoConnectFailure(error: unknown): AppError {
  const problem = settingToFix(error);
  if (problem !== undefined) return new AppError('CONFIG_INVALID', problem, { cause: error, context: { op: 'connect' } });
  if (error instanceof mongo.MongoInvalidArgumentError || error instanceof mongo.MongoAPIError)
    return new AppError('CONFIG_INVALID', 'MongoDB: connect: invalid MONGODB_URI', { cause: error, context: { op: 'connect' } });
  return mongoFailure(error, { op: 'connect' });
}
