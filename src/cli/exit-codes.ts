import { isAppError } from '../errors';
import { ReplayRefusedError } from '../storage/dead-letter.repository';

/** What the CLI's exit status means; scripts branch on these (docs/cli.md lists them). */
export const EXIT = {
  ok: 0,
  /** Anything unexpected: a bug, or a fault with no better code. */
  failure: 1,
  /** The command line is wrong: unknown command or option, a bad or missing argument. */
  usage: 2,
  /** The subscription (or dead letter) named does not exist. */
  notFound: 3,
  /** Understood, but refused in the current state: a legal hold already set, none to release, a deleted subscription. */
  refused: 4,
  /** A service the command needs (MongoDB, Redis, Kafka; for `npm run stack`, the local stack) does not answer: EX_UNAVAILABLE. */
  unavailable: 69,
  /** A setting is missing or invalid: EX_CONFIG. */
  config: 78,
} as const;

export type Failure = Exclude<keyof typeof EXIT, 'ok'>;

/** A failure the CLI anticipated: its kind picks the exit code, its message is shown as is (no stack trace). */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly kind: Failure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

// Driver errors that mean "the service is not there", whatever the command was doing when it found out.
const UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'KafkaJSConnectionError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSRequestTimeoutError',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The failure kind of anything a command threw. */
export function failureOf(error: unknown): Failure {
  if (error instanceof CliError) return error.kind;
  if (isAppError(error)) {
    if (error.code === 'CONFIG_INVALID' || error.code === 'KAFKA_AUTH_FAILED') return 'config';
    if (error.code === 'DEPENDENCY_UNAVAILABLE' || error.code === 'SUBSCRIPTION_BUSY') return 'unavailable';
    return 'failure';
  }
  if (error instanceof ReplayRefusedError) return 'refused';
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (UNAVAILABLE_ERRORS.has(error.name) || (typeof code === 'string' && UNAVAILABLE_CODES.has(code))) return 'unavailable';
    if (error.message === 'Connection is closed.') return 'unavailable';
  }
  return 'failure';
}
