import type { KeyObject } from 'node:crypto';

import { z } from 'zod';

import { AppError } from '../errors';
import { DEDUPE_WINDOW_MIN, DEFAULT_POLICY_SETTINGS, parseDuration, policyFrom, type Policy } from '../domain';
import { kafkaSecurityProblems } from './kafka-security-settings';
import { decompressionProblems, PRODUCER_COMPRESSIONS } from './kafka-compression';
import { mongoUriProblems } from './mongo-uri';
import { KEY_ID_RULE, keyRing, publicKeysFromJwks, signingKeyFrom, type KeyRing } from '../proof/keys';
import { readSettingFile } from './setting-file';
import { parseRedisUrl, redisSettingsProblems } from './redis-settings';

function durationMs(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}
const duration = z.string().refine((text) => durationMs(text) !== undefined, {
  message: 'must be an ISO 8601 duration of weeks, days, hours, minutes or seconds (e.g. P60D, PT30S)',
});
/** A duration from `minMs` to `maxMs`; text that is no duration at all is `duration`'s to report (zod runs every check). */
const durationWithin = (minMs: number, maxMs: number, message: string) =>
  duration.refine(
    (text) => {
      const ms = durationMs(text);
      return ms === undefined || (ms >= minMs && ms <= maxMs);
    },
    { message },
  );
const AT_LEAST_A_SECOND = 'must be at least one second (PT1S)';
// `none` spells an empty list: an empty variable means "use the default".
const list = z.string().transform((text) =>
  text.trim() === 'none'
    ? []
    : text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
);
const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name');
/** A connection string checked by `problems` the way its client will read it, so a bad one stops the start, not the first call. */
const connectionString = (problems: (text: string) => readonly string[]) =>
  z.string().superRefine((text, context) => {
    for (const message of problems(text)) context.addIssue({ code: 'custom', message });
  });

/** Every setting, its default and its meaning; docs/configuration.md is generated from it (npm run docs:config). */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HTTP_HOST: z.string().default('0.0.0.0'),

  KAFKA_BROKERS: list.pipe(
    z
      .array(
        z
          .string()
          .regex(/^[^:\s]+:\d+$/, 'must be host:port')
          // kafkajs would retry a port that cannot exist forever.
          .refine((broker) => /:0*([1-9]\d{0,4})$/.test(broker) && Number(broker.split(':')[1]) <= 65_535, {
            message: 'the port must be from 1 to 65535',
          }),
      )
      .min(1),
  ),
  KAFKA_CLIENT_ID: z.string().min(1).default('billing-enforcer'),
  KAFKA_GROUP_ID: z.string().min(1).default('billing-enforcer'),
  // The broker refuses a consumer outside group.min/max.session.timeout.ms (6 s and 30 min by default): it would run, consuming nothing.
  KAFKA_SESSION_TIMEOUT: durationWithin(6_000, 30 * 60_000, "must be from PT6S to PT30M (the broker's default bounds)").default('PT30S'),
  KAFKA_CREATE_TOPICS: bool.default(true),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).default(12),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
  TOPIC_BILLING_PAYMENTS: topicName.default('billing.payments.v1'),
  TOPIC_FRAUD_SIGNALS: topicName.default('fraud.signals.v1'),
  TOPIC_CUSTOMER_REQUESTS: topicName.default('customer.requests.v1'),
  TOPIC_LIFECYCLE: topicName.default('subscription.lifecycle.v1'),
  TOPIC_DLQ: topicName.default('billing-enforcer.dlq.v1'),
  CONSUMER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  CONSUMER_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(4),
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Decompressed bytes one record batch may hold; a batch over it is dead-lettered whole, never decoded into memory. */
  KAFKA_MAX_BATCH_DECOMPRESSED_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(16 * 1_048_576),
  /** Decompressed bytes one fetch may hold, all partitions together; past it, batches wait for the next fetch. */
  KAFKA_MAX_FETCH_DECOMPRESSED_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(32 * 1_048_576),
  /** How the worker's own records (lifecycle events, dead letters, replays) are compressed: gzip every Kafka client reads. */
  KAFKA_PRODUCER_COMPRESSION: z.enum(PRODUCER_COMPRESSIONS).default('gzip'),
  /** How long a partition may fail, or keep lag without its committed offset moving, before /readyz says not ready. */
  CONSUMER_STALL_AFTER: durationWithin(5_000, Infinity, 'must be at least five seconds (PT5S)').default('PT1M'),
  MAX_CLOCK_SKEW: duration.default('PT1H'),
  RETRY_BACKOFF_MAX: duration.default('PT30S'),

  // Unset (and MONGO_FILTER_BY_ID_ONLY=auto): the server's own, MongoDB's or FerretDB's, found at start-up (src/storage/store-dialect.ts).
  MONGO_BULK_CHUNK: z.coerce.number().int().min(1).max(10_000).optional(),
  MONGO_FILTER_BY_ID_ONLY: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Parsed by the driver itself at start-up: options it refuses, compressors and mechanisms it could not load, unreadable TLS files. */
  MONGODB_URI: connectionString((text) => mongoUriProblems(text)),
  // Deletion certificates (docs/deletion-proof.md). Unset: deletions run and leave a receipt, but no certificate.
  /** PEM file (PKCS #8) of the Ed25519 private key that signs deletion certificates; the local stack generates one. */
  DELETION_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** The signing key's id, named in every certificate it signs; unset: `ed25519-` and 16 hex digits of its public key's sha256. */
  DELETION_SIGNING_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, KEY_ID_RULE)
    .optional(),
  /** JSON Web Key Set file of retired public keys, so certificates they signed still verify after a rotation. */
  DELETION_RETIRED_KEYS_FILE: z.string().min(1).optional(),
  /** Link audit records into each subscription's hash chain (docs/deletion-proof.md); false only to measure what it costs (refused in production). */
  AUDIT_CHAIN: bool.default(true),
  DATA_COLLECTIONS: list.pipe(z.array(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$/, 'must be a collection name'))).default([]),

  REDIS_URL: connectionString((text) => parseRedisUrl(text).problems ?? []),
  // --- Redis TLS (docs/deployment.md, "Redis and MongoDB connections"); on with rediss://, combinations checked in redis-settings.ts ---
  /** PEM file of the CA that signed the Redis server's certificate (a private CA); replaces the system's CAs. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /** PEM client certificate, for a Redis that authenticates clients by TLS (`tls-auth-clients yes`); needs REDIS_TLS_KEY_FILE. */
  REDIS_TLS_CERT_FILE: z.string().min(1).optional(),
  /** PEM private key of the client certificate. */
  REDIS_TLS_KEY_FILE: z.string().min(1).optional(),
  /** false accepts any Redis certificate: for a throwaway test server only. */
  REDIS_TLS_REJECT_UNAUTHORIZED: bool.default(true),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default('be'),
  TIMER_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('timers'),
  TIMER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  // BullMQ cannot take a lock of 0 ms: every timer job would fail when it first runs.
  TIMER_LOCK_DURATION: durationWithin(1_000, Infinity, AT_LEAST_A_SECOND).default('PT30S'),
  /** How long a crashed process's per-subscription lease in Redis blocks the others; renewed while held. */
  SUBSCRIPTION_LEASE_TTL: durationWithin(1_000, Infinity, AT_LEAST_A_SECOND).default('PT15S'),
  /** Test only: the name of a crash point where the process kills itself (see src/failpoints.ts). */
  FAILPOINT: z.string().optional(),
  RECONCILE_ENABLED: bool.default(true),
  // BullMQ refuses a job scheduler repeating every 0 ms, at start-up.
  RECONCILE_INTERVAL: durationWithin(1_000, Infinity, AT_LEAST_A_SECOND).default('PT1H'),

  // The policy's defaults have one home, the domain's (src/domain/policy.ts).
  DELETION_DELAY: duration.default(DEFAULT_POLICY_SETTINGS.deletionDelay),
  DELETION_REMINDERS: list.pipe(z.array(duration)).default([...DEFAULT_POLICY_SETTINGS.deletionReminders]),
  LEGAL_HOLD_RELEASE_GRACE: duration.default(DEFAULT_POLICY_SETTINGS.legalHoldReleaseGrace),
  FRAUD_SCORE_THRESHOLD: z.coerce.number().min(0).max(1).default(DEFAULT_POLICY_SETTINGS.fraudScoreThreshold),
  DEDUPE_WINDOW: z.coerce.number().int().min(DEDUPE_WINDOW_MIN).max(256).default(DEFAULT_POLICY_SETTINGS.dedupeWindow),
  // How stale a process's copy of tenants' policies may be; the reconciler re-plans what a stale copy scheduled.
  TENANT_POLICY_REFRESH: durationWithin(1_000, 3_600_000, 'must be from PT1S to PT1H').default('PT5S'),

  /** The operator API, DLQ routes and /admin pages. Off: not registered at all. */
  OPS_ROUTES_ENABLED: bool.default(true),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ACCESS_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  // --- Kafka TLS and SASL (docs/deployment.md, "Kafka security"); combinations checked in src/kafka/kafka-security.ts ---
  /** TLS to the brokers; with no CA file, the system's trusted CAs verify them. */
  KAFKA_SSL: bool.default(false),
  /** PEM file of the CA that signed the brokers' certificates (a private CA). */
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  /** PEM client certificate, for brokers that authenticate clients by TLS (mTLS); needs KAFKA_SSL_KEY_FILE. */
  KAFKA_SSL_CERT_FILE: z.string().min(1).optional(),
  /** PEM private key of the client certificate. */
  KAFKA_SSL_KEY_FILE: z.string().min(1).optional(),
  /** false accepts any broker certificate: for a throwaway test cluster only. */
  KAFKA_SSL_REJECT_UNAUTHORIZED: bool.default(true),
  /** SASL authentication; unset: none. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** Secret: never logged. Prefer KAFKA_SASL_PASSWORD_FILE (a mounted secret). */
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** A file holding the SASL password (one trailing newline is ignored). */
  KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
  // The ops console (/admin): docs/operations.md.
  /** Bull Board's obliterate, clean, empty, add-job, retry and scheduler actions; off leaves every queue read-only. */
  BULL_BOARD_DESTRUCTIVE: bool.default(false),
  /** Sign-in attempts per client IP per ADMIN_SIGNIN_WINDOW; more answer 429. */
  ADMIN_SIGNIN_ATTEMPTS: z.coerce.number().int().min(1).max(10_000).default(10),
  ADMIN_SIGNIN_WINDOW: duration.default('PT5M'),
  /** Wrong or malformed bearer tokens per client IP: this many at once, then one per AUTH_FAILURE_INTERVAL; more answer 429. */
  AUTH_FAILURE_BURST: z.coerce.number().int().min(1).max(10_000).default(20),
  AUTH_FAILURE_INTERVAL: durationWithin(1, Infinity, 'must be longer than zero').default('PT3S'),
  /** How often the console samples consumer lag for its one-hour trend (kept in memory, per process). */
  CONSOLE_LAG_SAMPLE_INTERVAL: durationWithin(1_000, Infinity, AT_LEAST_A_SECOND).default('PT1M'),
  // Tracing (docs/operations.md, "Tracing"): the OpenTelemetry SDK's own variables (OTEL_EXPORTER_OTLP_HEADERS, …) apply too.
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL (the collector, without /v1/traces)')
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(255).default('billing-enforcer'),
});

export type Settings = z.infer<typeof configSchema>;

export interface Config extends Settings {
  readonly policy: Policy;
  /** The key that signs deletion certificates (null: none configured) and every public key that verifies them. */
  readonly certificateKeys: KeyRing;
}

/** The settings the deletion certificates' keys come from. */
export const CERTIFICATE_KEY_SETTINGS = ['DELETION_SIGNING_KEY_FILE', 'DELETION_SIGNING_KEY_ID', 'DELETION_RETIRED_KEYS_FILE'] as const;

/** The signing key and the retired public keys the settings name, read from their files. */
export function certificateKeysOf(settings: Pick<Settings, (typeof CERTIFICATE_KEY_SETTINGS)[number]>): KeyRing {
  const file = settings.DELETION_SIGNING_KEY_FILE;
  const signing =
    file === undefined
      ? null
      : signingKeyFrom(readSettingFile('DELETION_SIGNING_KEY_FILE', file), settings.DELETION_SIGNING_KEY_ID, 'DELETION_SIGNING_KEY_FILE');
  const retiredFile = settings.DELETION_RETIRED_KEYS_FILE;
  const retired =
    retiredFile === undefined
      ? new Map<string, KeyObject>()
      : publicKeysFromJwks(readSettingFile('DELETION_RETIRED_KEYS_FILE', retiredFile), 'DELETION_RETIRED_KEYS_FILE');
  return keyRing(signing, retired, 'DELETION_RETIRED_KEYS_FILE');
}

/** The environment as the schema sees it: an empty variable is an unset one, so its default applies. */
function presentVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** Validates `present` against `schema`, or throws CONFIG_INVALID naming every problem (never a value: they may be secrets). */
function parseVariables<Schema extends z.ZodType>(schema: Schema, present: Record<string, string>): z.output<Schema> {
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.') || '(env)';
    const unset = issue.code === 'invalid_type' && issue.path.length === 1 && present[name] === undefined;
    return `${name}: ${unset ? 'required, but not set' : issue.message}`;
  });
  throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, { context: { problems } });
}

/** The settings the domain policy is made of. */
export const POLICY_SETTINGS = [
  'DELETION_DELAY',
  'DELETION_REMINDERS',
  'LEGAL_HOLD_RELEASE_GRACE',
  'FRAUD_SCORE_THRESHOLD',
  'DEDUPE_WINDOW',
] as const;

export function policyOf(settings: Pick<Settings, (typeof POLICY_SETTINGS)[number]>): Policy {
  return policyFrom({
    deletionDelay: settings.DELETION_DELAY,
    deletionReminders: settings.DELETION_REMINDERS,
    legalHoldReleaseGrace: settings.LEGAL_HOLD_RELEASE_GRACE,
    fraudScoreThreshold: settings.FRAUD_SCORE_THRESHOLD,
    dedupeWindow: settings.DEDUPE_WINDOW,
  });
}

/** Parses the environment once at start-up; a bad value stops the process with every problem named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const settings = parseVariables(configSchema, presentVariables(env));
  if (settings.NODE_ENV === 'production' && settings.OPS_ROUTES_ENABLED && settings.ADMIN_TOKEN === undefined) {
    // Off-without-a-token is safe, but in production it is almost surely a forgotten secret: say so at start-up.
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration:\n  ADMIN_TOKEN: required in production while OPS_ROUTES_ENABLED is true (set it, or set OPS_ROUTES_ENABLED=false)',
    );
  }
  if (settings.NODE_ENV === 'production' && !settings.AUDIT_CHAIN)
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration:\n  AUDIT_CHAIN: false is for benchmarks; production keeps the audit trail tamper-evident',
    );
  const combinationProblems = [...kafkaSecurityProblems(settings), ...decompressionProblems(settings), ...redisSettingsProblems(settings)];
  if (combinationProblems.length > 0)
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${combinationProblems.join('\n  ')}`, {
      context: { problems: combinationProblems },
    });
  return Object.freeze({ ...settings, policy: policyOf(settings), certificateKeys: certificateKeysOf(settings) });
}

/**
 * Parses only the named settings, with the same rules and defaults as `loadConfig`: a tool that needs MongoDB alone
 * (the operator CLI) neither demands nor checks Kafka's and Redis's.
 */
export function loadSettings<Key extends keyof Settings>(
  keys: readonly Key[],
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Pick<Settings, Key>> {
  const mask: Partial<Record<keyof Settings, true>> = Object.fromEntries(keys.map((key) => [key, true]));
  // zod cannot follow a mask built at run time; the picked schema parses exactly `Key`'s settings.
  return Object.freeze(parseVariables(configSchema.pick(mask), presentVariables(env)) as Pick<Settings, Key>);
}
