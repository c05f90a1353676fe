import pino, { type Logger } from 'pino';

/** Structured JSON logs. Connection strings and tokens are redacted wherever they appear as fields. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
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
        'req.headers.authorization',
        'authorization',
      ],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** Strips credentials from a URL before it is logged or shown. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[redacted]@');
}

export type { Logger };
