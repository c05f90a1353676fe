import { AppError, classOf, EXIT, type ErrorCode } from '../errors';

// The exit statuses live with the error table (src/errors.ts), which gives each error code its own.
export { EXIT } from '../errors';

export type Failure = Exclude<keyof typeof EXIT, 'ok'>;

/** The error code a CLI failure kind stands for: its exit status is that code's in the table. */
const CODE_OF: Readonly<Record<Failure, ErrorCode>> = {
  failure: 'INTERNAL',
  usage: 'USAGE',
  notFound: 'NOT_FOUND',
  refused: 'REFUSED',
  unverified: 'NOT_VERIFIED',
  unavailable: 'DEPENDENCY_UNAVAILABLE',
  config: 'CONFIG_INVALID',
};

/** A failure the CLI anticipated: its message is shown as is (no stack trace). */
export class CliError extends AppError {
  override readonly name: string = 'CliError';

  constructor(kind: Failure, message: string, options: { cause?: unknown } = {}) {
    super(CODE_OF[kind], message, options);
  }
}

const KIND_OF_EXIT = new Map<number, Failure>(
  (Object.entries(EXIT) as [keyof typeof EXIT, number][]).flatMap(([kind, code]) => (kind === 'ok' ? [] : [[code, kind]])),
);

/** The failure kind of anything a command threw: its code's exit status in the table; a foreign error is a bug. */
export function failureOf(error: unknown): Failure {
  return KIND_OF_EXIT.get(classOf(error).exit) ?? 'failure';
}
