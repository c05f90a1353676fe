import { mongo, Error as MongooseError } from 'mongoose';

import { AppError } from '../errors';
import { isNetworkFault } from '../network-errors';

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
