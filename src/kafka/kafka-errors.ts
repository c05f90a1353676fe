import { KafkaJSAggregateError, KafkaJSError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } from 'kafkajs';

import { AppError } from '../errors';
import { isNetworkFault } from '../network-errors';

export interface KafkaContext {
  readonly op: string;
  readonly topic?: string;
  readonly [key: string]: unknown;
}

/**
 * kafkajs marks each of its errors `retriable`; once its own retries run out it throws KafkaJSNumberOfRetriesExceeded
 * (non-retriable to kafkajs, an outage to us: the broker may come back).
 */
function isOutage(error: unknown): boolean {
  if (error instanceof KafkaJSNumberOfRetriesExceeded) return true;
  if (error instanceof KafkaJSError) return error.retriable;
  if (error instanceof KafkaJSAggregateError) return error.errors.some(isOutage);
  return isNetworkFault(error);
}

/** The broker's own reasons, from kafkajs's structured fields (`type`, `topic`): what an operator needs to act on. */
function reasons(error: unknown): string[] {
  if (error instanceof KafkaJSAggregateError) return error.errors.flatMap(reasons);
  const { type, topic } = error as { type?: unknown; topic?: unknown };
  if (typeof type === 'string') return [typeof topic === 'string' ? `${type} (${topic})` : type];
  return error instanceof Error ? [error.message] : [];
}

/**
 * What a kafkajs call threw, as an AppError: DEPENDENCY_UNAVAILABLE for an outage, KAFKA_AUTH_FAILED when the broker
 * refused our credentials, INTERNAL otherwise (a record the broker rejects). An AppError passes through unchanged.
 */
export function kafkaFailure(error: unknown, context: KafkaContext): AppError {
  if (error instanceof AppError) return error;
  const where = context.topic === undefined ? context.op : `${context.op} to ${context.topic}`;
  if (error instanceof KafkaJSSASLAuthenticationError)
    return new AppError('KAFKA_AUTH_FAILED', `Kafka: ${where}: authentication refused`, { cause: error, context });
  if (isOutage(error))
    return new AppError('DEPENDENCY_UNAVAILABLE', `Kafka: ${where} failed: broker unavailable`, { cause: error, context });
  const why = [...new Set(reasons(error))].join(', ');
  return new AppError('INTERNAL', `Kafka: ${where} failed${why === '' ? '' : `: ${why}`}`, { cause: error, context });
}
