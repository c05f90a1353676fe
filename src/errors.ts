/** A closed set of error codes: each says whether to retry and, for input, why it was dead-lettered. */
export const ERROR_CODES = {
  // Bad input: dead-lettered at once, never retried.
  MISSING_VALUE: false,
  MESSAGE_TOO_LARGE: false,
  // A value or key that is not valid UTF-8: decoding it lossily would make distinct ids equal (U+FFFD).
  INVALID_ENCODING: false,
  INVALID_JSON: false,
  SCHEMA_VIOLATION: false,
  UNKNOWN_EVENT_TYPE: false,
  WRONG_TOPIC: false,
  MISSING_KEY: false,
  KEY_MISMATCH: false,
  OCCURRED_AT_OUT_OF_RANGE: false,
  IDENTITY_MISMATCH: false,
  // A message that fails alone, repeatedly, for a reason that is not a dependency fault (a bug): parked, not retried forever.
  PROCESSING_FAILED: false,
  // Configuration: fatal at start-up.
  CONFIG_INVALID: false,
  // Kafka refused our credentials, or we refused its certificate: a setting to fix, not a fault to wait out.
  KAFKA_AUTH_FAILED: false,
  // Faults of the services we depend on: retried with backoff.
  DEPENDENCY_UNAVAILABLE: true,
  VERSION_CONFLICT: true,
  // Another worker process held the subscription's lease for longer than we wait (subscription-leases.ts).
  SUBSCRIPTION_BUSY: true,
} as const satisfies Record<string, boolean>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retriable = ERROR_CODES[code];
    this.context = options.context ?? {};
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
