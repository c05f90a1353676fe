import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs, to stdout unless `destination` says otherwise (the operator CLI keeps stdout for its results).
 * Connection strings and tokens are redacted wherever they appear as fields.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'billing-enforcer', ...bindings },
    redact: {
      paths: [
        'MONGODB_URI',
        'REDIS_URL',
        'ADMIN_TOKEN',
        'ACCESS_API_TOKEN',
        '*.MONGODB_URI',
        '*.REDIS_URL',
        '*.ADMIN_TOKEN',
        '*.ACCESS_API_TOKEN',
        // Kafka credentials: the setting, and kafkajs's own `sasl` option should a client's options ever be logged.
        'KAFKA_SASL_PASSWORD',
        '*.KAFKA_SASL_PASSWORD',
        'password',
        '*.password',
        '*.*.password',
        'req.headers.authorization',
        'req.headers.cookie',
        'authorization',
        'cookie',
      ],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** Strips credentials from a URL before it is logged or shown. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[redacted]@');
}

export type { Logger };
