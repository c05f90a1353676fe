import pino, { type Logger } from 'pino';

import { escapeJsonText } from '../control-characters';
import { traceLogFields } from './trace-log-fields';

/**
 * Structured JSON logs, to stdout unless `destination` says otherwise (the operator CLI keeps stdout for its results).
 * Connection strings and tokens are redacted wherever they appear as fields.
 * Lines written while a span is active carry its `trace_id` and `span_id`.
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
    // trace_id and span_id of the active span (a slice, a timer job), while tracing is on.
    mixin: traceLogFields,
  };
  return pino(options, terminalSafe(destination ?? pino.destination({ dest: 1, sync: true })));
}

/**
 * Log lines are read in terminals: JSON already escapes C0 controls; this writes the C1, bidi and line-separator
 * characters it leaves raw (from a Kafka key, say) as `\uXXXX` too. Each line stays the same JSON value.
 */
function terminalSafe(destination: pino.DestinationStream): pino.DestinationStream {
  return { write: (line: string) => destination.write(escapeJsonText(line)) };
}

/** Strips credentials from a URL before it is logged or shown. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[redacted]@');
}

export type { Logger };
