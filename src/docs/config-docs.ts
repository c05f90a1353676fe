import { z } from 'zod';

import { configSchema } from '../config/config';

/**
 * What each setting means, for docs/configuration.md (`npm run docs:config`). A setting may carry its meaning in the
 * schema itself with zod's `.describe()`; otherwise it is here. A unit test fails when a setting has neither, or when
 * the committed page is stale.
 */
const MEANINGS: Record<string, string> = {
  BULL_BOARD_DESTRUCTIVE:
    "Bull Board's obliterate, clean, empty, add-job, retry and scheduler actions; `false` leaves every queue read-only",
  ADMIN_SIGNIN_ATTEMPTS: 'console sign-in attempts per client IP per `ADMIN_SIGNIN_WINDOW`; more answer 429',
  ADMIN_SIGNIN_WINDOW: 'the window of `ADMIN_SIGNIN_ATTEMPTS`',
  AUTH_FAILURE_BURST:
    'wrong or malformed bearer tokens a client IP may send at once (then one per `AUTH_FAILURE_INTERVAL`); more answer 429 with `Retry-After`. A valid token is never refused',
  AUTH_FAILURE_INTERVAL: 'after the burst, one more failed authentication per client IP per this long',
  CONSOLE_LAG_SAMPLE_INTERVAL: 'how often the console samples consumer lag for its one-hour trend (in memory, per process)',
  NODE_ENV: '`production` requires `ADMIN_TOKEN` while `OPS_ROUTES_ENABLED` is true',
  LOG_LEVEL: 'pino level',
  HTTP_PORT: 'where the HTTP API listens (port)',
  HTTP_HOST: 'where the HTTP API listens (address)',
  KAFKA_BROKERS: 'comma-separated `host:port`',
  KAFKA_CLIENT_ID: 'Kafka client id',
  KAFKA_GROUP_ID: 'consumer group of the inbound topics (the DLQ indexer uses `<group>.dlq-index`)',
  KAFKA_SESSION_TIMEOUT:
    'how long the group waits for a silent (crashed) member before rebalancing its partitions: `PT6S` to `PT30M`, the bounds a broker allows by default (`group.min`/`max.session.timeout.ms`)',
  KAFKA_CREATE_TOPICS: 'create missing topics at start-up',
  KAFKA_TOPIC_PARTITIONS: 'partitions of the topics the worker creates; also the most worker replicas that get work',
  KAFKA_REPLICATION_FACTOR: 'replication factor of the topics the worker creates',
  TOPIC_BILLING_PAYMENTS: 'inbound billing topic',
  TOPIC_FRAUD_SIGNALS: 'inbound fraud topic',
  TOPIC_CUSTOMER_REQUESTS: 'inbound support topic',
  TOPIC_LIFECYCLE: 'outbound lifecycle topic',
  TOPIC_DLQ: 'dead-letter topic',
  CONSUMER_BATCH_SIZE:
    'messages per commit (one bulk read, write and effects round), from one partition or several: slices of partitions fetched together share one',
  CONSUMER_PARTITIONS_CONCURRENTLY: 'commits in flight at once; every partition of a fetch is taken at once whatever it is',
  MAX_MESSAGE_BYTES: 'larger messages are dead-lettered unparsed',
  KAFKA_MAX_BATCH_DECOMPRESSED_BYTES:
    'decompressed bytes one record batch may hold (at least `MAX_MESSAGE_BYTES`); a larger batch is dead-lettered whole as `BATCH_TOO_LARGE`, and decompression stops at the bound, so a compression bomb never reaches memory',
  KAFKA_MAX_FETCH_DECOMPRESSED_BYTES:
    'decompressed bytes one fetch response may hold, all partitions together (at least the batch bound); batches past it wait for the next fetch. With the batch bound, what bounds the memory compressed input can take (docs/deployment.md, "Compression")',
  KAFKA_PRODUCER_COMPRESSION:
    "codec of the worker's own records (lifecycle events, dead letters, replays): `gzip` is the one every Kafka client decodes without extra libraries (kafkajs included); `zstd` or `lz4` when every consumer of `TOPIC_LIFECYCLE` supports it",
  CONSUMER_STALL_AFTER:
    'how long a partition may keep failing, or keep lag while its committed offset stays put, before `/readyz` answers 503 naming it (a batch the worker cannot decode and a crashed consumer count at once)',
  MAX_CLOCK_SKEW: 'how far in the future `occurredAt` may be',
  RETRY_BACKOFF_MAX: 'longest wait between retries of a transient fault',
  MONGO_BULK_CHUNK:
    "statements per bulk write; unset: the server's, found at start-up (1000 on MongoDB; 20 on FerretDB 1.24, which deadlocks on large bulks: docs/development.md)",
  MONGO_FILTER_BY_ID_ONLY:
    '`auto`: on when the server is FerretDB, whose key serves only exactly-`{_id}` filters; then subscriptions are written by `{_id}` alone, guarded by the per-subscription lock and Redis lease only. Off, they are written by `{_id, version}`, which MongoDB applies atomically. `false` forces it off; `true` forces it on and is refused on MongoDB (the worker does not start: exit 78)',
  MONGODB_URI:
    '`mongodb://…` or `mongodb+srv://…` naming the database; TLS, authentication and `compressors` as URI options, checked by the driver at start-up (docs/deployment.md). `maxPoolSize` (20) and `serverSelectionTimeoutMS` (5000) apply unless the URI sets them',
  DATA_COLLECTIONS:
    'comma-separated collections (same database) whose documents a deletion removes; empty means only the tombstone is written (a warning is logged)',
  AUDIT_CHAIN:
    "links every audit record into its subscription's hash chain (docs/deletion-proof.md). `false` writes records unlinked and a stored subscription's no-change events with no write: only for the benchmark's baseline, refused when `NODE_ENV=production`",
  DELETION_SIGNING_KEY_FILE:
    'PEM file (PKCS #8) of the Ed25519 private key that signs deletion certificates (docs/deletion-proof.md); a secret: mount it read-only. Unset: deletions leave a receipt but no certificate (a warning is logged). The local stack makes one in `.stack/signing/`',
  DELETION_SIGNING_KEY_ID:
    'the id named in every certificate the signing key signs; unset: `ed25519-` and 16 hex digits of the sha256 of its public key. Give each key its own id when rotating',
  DELETION_RETIRED_KEYS_FILE:
    'JSON Web Key Set file of retired public keys (as `certificate public-key --json` prints them): certificates they signed still verify after a rotation, and `/.well-known/deletion-certificate-keys.json` serves them',
  REDIS_URL:
    '`redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS), or `unix:///path/redis.sock[?db=N]`; no query options, Sentinel or Cluster. Checked against the server at start-up. Redis must run with `maxmemory-policy noeviction` and AOF; `hash-max-listpack-value 256` halves timer memory for long ids',
  REDIS_TLS_CA_FILE: "PEM file of the CA that signed Redis's certificate (a private CA; replaces the system's CAs); needs `rediss://`",
  REDIS_TLS_CERT_FILE:
    'PEM client certificate, for a Redis that authenticates clients by TLS (`tls-auth-clients yes`); needs `REDIS_TLS_KEY_FILE`',
  REDIS_TLS_KEY_FILE: 'PEM private key of the client certificate',
  REDIS_TLS_REJECT_UNAUTHORIZED: '`false` accepts any Redis certificate: for a throwaway test server only',
  QUEUE_PREFIX: 'BullMQ key prefix',
  TIMER_QUEUE: 'BullMQ queue name of the timers',
  TIMER_CONCURRENCY: 'timer jobs run at once',
  TIMER_LOCK_DURATION: "BullMQ lock of a running timer job (at least `PT1S`); a crashed worker's job is retried after it lapses",
  SUBSCRIPTION_LEASE_TTL:
    'per-subscription lease in Redis (at least `PT1S`): how long a crashed process keeps others off its subscriptions; renewed every third of it while held',
  FAILPOINT: 'test only: a named crash point where the process kills itself, for the fault-injection suite',
  RECONCILE_ENABLED: 'run the repeatable reconciliation job (Redis timers brought in line with MongoDB)',
  RECONCILE_INTERVAL: 'how often reconciliation runs (at least `PT1S`)',
  DELETION_DELAY: 'from suspension to deletion',
  DELETION_REMINDERS: 'reminder offsets before deletion; `none` for no reminders',
  LEGAL_HOLD_RELEASE_GRACE: 'minimum time from legal-hold release to deletion',
  FRAUD_SCORE_THRESHOLD: 'fraud score that places a fraud hold',
  TENANT_POLICY_REFRESH: "how long a process keeps its copy of tenants' policy versions before reading them again",
  DEDUPE_WINDOW: 'event fingerprints remembered per subscription; beyond them the audit trail decides duplicates',
  OPS_ROUTES_ENABLED: 'register the operator API, DLQ routes and `/admin`',
  OTEL_EXPORTER_OTLP_ENDPOINT:
    'OpenTelemetry collector (OTLP over HTTP; spans go to its `/v1/traces`); unset: no tracing at all. The SDK also reads `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER` and the like (docs/operations.md, "Tracing")',
  OTEL_SERVICE_NAME: '`service.name` of the exported spans',
  ADMIN_TOKEN: 'secret: bearer token for the operator API (at least 16 characters); unset: those routes answer 401',
  ACCESS_API_TOKEN: 'secret: bearer token for the read-only routes, for sign-in services',
  KAFKA_SSL: "TLS to the brokers; with no CA file, the system's trusted CAs verify them",
  KAFKA_SSL_CA_FILE: "PEM file of the CA that signed the brokers' certificates (a private CA)",
  KAFKA_SSL_CERT_FILE: 'PEM client certificate, for brokers that authenticate clients by TLS (mTLS); needs `KAFKA_SSL_KEY_FILE`',
  KAFKA_SSL_KEY_FILE: 'PEM private key of the client certificate',
  KAFKA_SSL_REJECT_UNAUTHORIZED: '`false` accepts any broker certificate: for a throwaway test cluster only',
  KAFKA_SASL_MECHANISM: 'SASL authentication; unset: none',
  KAFKA_SASL_USERNAME: 'SASL user (required with a mechanism)',
  KAFKA_SASL_PASSWORD: 'secret: SASL password; prefer `KAFKA_SASL_PASSWORD_FILE`',
  KAFKA_SASL_PASSWORD_FILE: 'a file holding the SASL password (a mounted secret; one trailing newline is ignored)',
};

type Shape = Record<string, z.ZodType>;

function unwrap(schema: z.ZodType): { inner: z.ZodType; fallback: unknown; optional: boolean } {
  let inner = schema;
  let fallback: unknown = undefined;
  let optional = false;
  for (;;) {
    if (inner instanceof z.ZodDefault) {
      fallback = inner.def.defaultValue;
      inner = inner.def.innerType as z.ZodType;
    } else if (inner instanceof z.ZodOptional) {
      optional = true;
      inner = inner.def.innerType as z.ZodType;
    } else return { inner, fallback, optional };
  }
}

function allowed(schema: z.ZodType): string {
  if (schema instanceof z.ZodEnum) return schema.options.map((value) => `\`${String(value)}\``).join(', ');
  if (schema instanceof z.ZodPipe) return allowed(schema.def.in as z.ZodType);
  if (schema instanceof z.ZodNumber) return 'number';
  return 'text';
}

function defaultOf(fallback: unknown, optional: boolean): string {
  if (fallback === undefined) return optional ? 'unset' : '**required**';
  const text = Array.isArray(fallback) ? fallback.join(',') : typeof fallback === 'string' ? fallback : JSON.stringify(fallback);
  return text === '' ? 'empty' : `\`${text}\``;
}

export interface SettingDoc {
  readonly name: string;
  readonly type: string;
  readonly default: string;
  readonly meaning: string | undefined;
}

export function settingDocs(): SettingDoc[] {
  return Object.entries(configSchema.shape as Shape).map(([name, schema]) => {
    const { inner, fallback, optional } = unwrap(schema);
    const boolean = ['`0`, `1`, `true`, `false`', '`true`, `false`, `1`, `0`'].includes(allowed(inner));
    const duration = typeof fallback === 'string' && /^P(?!$)/.test(fallback);
    const kind = boolean ? 'boolean' : duration ? 'duration' : allowed(inner);
    return { name, type: kind, default: defaultOf(fallback, optional), meaning: schema.description ?? inner.description ?? MEANINGS[name] };
  });
}

const escapeCell = (text: string): string => text.replaceAll('|', '\\|');

/** docs/configuration.md, whole. */
export function configurationMarkdown(): string {
  const rows = settingDocs().map(
    (setting) =>
      `| \`${setting.name}\` | ${escapeCell(setting.type)} | ${setting.default} | ${escapeCell(setting.meaning ?? '(undocumented)')} |`,
  );
  return [
    '# Configuration',
    '',
    '<!-- Generated from the zod schema in src/config/config.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Every setting is an environment variable, validated with zod when the process starts (`src/config/config.ts`). A bad',
    'value stops the worker with every problem named and exit code 78; an empty variable counts as unset. Values are never',
    'printed: a problem names the variable only. Durations are ISO 8601 (`P60D`, `PT30S`); booleans are `true`, `false`, `1`',
    'or `0`; lists are comma-separated. The operator CLI reads the same variables, each command only those it uses.',
    '',
    'Kafka TLS and SASL: [deployment.md](deployment.md#kafka-security); TLS, credentials and compression for Redis and MongoDB:',
    '[deployment.md](deployment.md#redis-and-mongodb-connections).',
    '',
    '| variable | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
