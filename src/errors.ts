/** The CLI's exit statuses; scripts branch on these (docs/cli.md, docs/errors.md). */
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
  /** A proof does not hold: a deletion certificate or an audit chain failed verification (what failed is printed). */
  unverified: 5,
  /** A service the command needs (MongoDB, Redis, Kafka, the local stack) does not answer: EX_UNAVAILABLE. */
  unavailable: 69,
  /** A setting is missing or invalid: EX_CONFIG. */
  config: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * What a code means to each consumer: whether the partition runner retries it, the HTTP status it answers, the CLI's
 * exit status, and whether a dead letter may carry it (the contract's `dlq.code`).
 */
export interface ErrorClass {
  readonly retriable: boolean;
  readonly http: number;
  readonly exit: ExitCode;
  readonly deadLetter: boolean;
  /** One line for docs/errors.md. */
  readonly meaning: string;
}

const input = (meaning: string): ErrorClass => ({ retriable: false, http: 422, exit: EXIT.failure, deadLetter: true, meaning });

/** The one table: every code, how it is handled. Adapters pick the code where the error arises (never from message text). */
export const ERROR_CODES = {
  // Bad input: dead-lettered at once, never retried.
  MISSING_VALUE: input('a message with no value'),
  MESSAGE_TOO_LARGE: input('a value larger than `MAX_MESSAGE_BYTES`'),
  // Decoding a value or key lossily would make distinct ids equal (U+FFFD).
  INVALID_ENCODING: input('a value or key that is not valid UTF-8'),
  INVALID_JSON: input('a value that is not JSON'),
  SCHEMA_VIOLATION: input('an event that breaks the contract'),
  UNKNOWN_EVENT_TYPE: input('an event type the worker does not know'),
  WRONG_TOPIC: input('a message on a topic the worker has no consumer for'),
  MISSING_KEY: input('a message with no key'),
  KEY_MISMATCH: input('a key other than the subscription id'),
  OCCURRED_AT_OUT_OF_RANGE: input('`occurredAt` before 2000, or later than `MAX_CLOCK_SKEW` allows'),
  IDENTITY_MISMATCH: input("an event naming another tenant or customer than the subscription's"),
  // Whole record batches, below the message level (src/kafka/undecodable-batch.ts): the letter holds the raw batch.
  BATCH_TOO_LARGE: input('a record batch that decompresses to more than `KAFKA_MAX_BATCH_DECOMPRESSED_BYTES`'),
  BATCH_SKIPPED: input('a record batch the client could not decode, skipped by an operator (`partitions skip`)'),
  // Parked, not retried forever: a bug, or a driver fault that is not an outage.
  PROCESSING_FAILED: {
    retriable: false,
    http: 500,
    exit: EXIT.failure,
    deadLetter: true,
    meaning: 'a message that fails alone, repeatedly, for a reason that is not a dependency fault',
  },
  CONFIG_INVALID: {
    retriable: false,
    http: 500,
    exit: EXIT.config,
    deadLetter: false,
    meaning: 'a setting missing or invalid, or refused by MongoDB or Redis at start-up (credentials, certificate, database)',
  },
  // A setting to fix, not a fault to wait out.
  KAFKA_AUTH_FAILED: {
    retriable: false,
    http: 500,
    exit: EXIT.config,
    deadLetter: false,
    meaning: 'Kafka refused our credentials, or we refused its certificate',
  },
  DEPENDENCY_UNAVAILABLE: {
    retriable: true,
    http: 503,
    exit: EXIT.unavailable,
    deadLetter: false,
    meaning: 'MongoDB, Redis, Kafka or the API did not answer, or answered that it cannot serve now',
  },
  VERSION_CONFLICT: {
    retriable: true,
    http: 503,
    exit: EXIT.unavailable,
    deadLetter: false,
    meaning: 'a write lost the optimistic-concurrency race too many times in a row',
  },
  // subscription-leases.ts
  SUBSCRIPTION_BUSY: {
    retriable: true,
    http: 503,
    exit: EXIT.unavailable,
    deadLetter: false,
    meaning: "another process held the subscription's lease for longer than we wait",
  },
  USAGE: { retriable: false, http: 400, exit: EXIT.usage, deadLetter: false, meaning: 'a malformed request or command line' },
  UNAUTHORIZED: { retriable: false, http: 401, exit: EXIT.config, deadLetter: false, meaning: 'no token, or a wrong one' },
  FORBIDDEN: { retriable: false, http: 403, exit: EXIT.config, deadLetter: false, meaning: 'a token that may not do this' },
  // src/http/auth-failures.ts: a valid token is never refused so.
  TOO_MANY_AUTH_FAILURES: {
    retriable: false,
    http: 429,
    exit: EXIT.config,
    deadLetter: false,
    meaning: 'wrong or malformed tokens from one client address beyond `AUTH_FAILURE_BURST`; wait as `Retry-After` says',
  },
  NOT_FOUND: { retriable: false, http: 404, exit: EXIT.notFound, deadLetter: false, meaning: 'no such subscription or dead letter' },
  REFUSED: {
    retriable: false,
    http: 409,
    exit: EXIT.refused,
    deadLetter: false,
    meaning: 'understood, but refused in the current state (a legal hold already set, a corrected replay of several letters)',
  },
  NOT_VERIFIED: {
    retriable: false,
    http: 409,
    exit: EXIT.unverified,
    deadLetter: false,
    meaning: "a deletion certificate or a subscription's audit chain failed verification (the first failure is named)",
  },
  STACK_UNAVAILABLE: {
    retriable: false,
    http: 503,
    exit: EXIT.unavailable,
    deadLetter: false,
    meaning: 'the local stack (`npm run stack`, development only) could not be provisioned, started or reached',
  },
  INTERNAL: {
    retriable: false,
    http: 500,
    exit: EXIT.failure,
    deadLetter: false,
    meaning: 'a bug, or a driver error that is not an outage (a query the server rejects)',
  },
} as const satisfies Record<string, ErrorClass>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retriable = ERROR_CODES[code].retriable;
    this.context = options.context ?? {};
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** How anything thrown is handled: an AppError by its code, anything else as a bug (INTERNAL). */
export function classOf(error: unknown): ErrorClass {
  return ERROR_CODES[isAppError(error) ? error.code : 'INTERNAL'];
}
