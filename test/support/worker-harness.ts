import type { Consumer, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';

import { eventTypes } from '../../consumers/routes';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';
import type { Metrics } from '../../src/metrics/metrics';
import { PrometheusMetrics } from '../../src/metrics/prometheus';
import { noTracing, type Tracing } from '../../src/tracing/tracing';
import { testKafka } from './kafka.helper';
import { stackConnection } from './stack-env';
import { uniqueName } from './unique-name';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ACCESS_TOKEN = 'test-access-token-0123456789';

/** A header's values as they came: several when its name repeats, null when it was sent without one. */
export type HeaderValues = readonly (Buffer | null)[];

export interface Collected {
  readonly key: string | null;
  readonly value: string | null;
  /** Each header as text; a repeated name's values joined with commas, a null value as ''. */
  readonly headers: Record<string, string>;
  readonly rawHeaders: Readonly<Record<string, HeaderValues>>;
  readonly json: () => Record<string, unknown>;
}

function collected(message: KafkaMessage): Collected {
  const headers: Record<string, string> = {};
  const rawHeaders: Record<string, HeaderValues> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    // kafkajs decodes a header sent without a value as null.
    const values: readonly (Buffer | string | null)[] = Array.isArray(value) ? value : [value];
    rawHeaders[name] = values.map((item) => (item === null ? null : Buffer.from(item)));
    headers[name] = values.map((item) => item?.toString() ?? '').join(',');
  }
  const text = message.value?.toString('utf8') ?? null;
  return {
    key: message.key?.toString('utf8') ?? null,
    value: text,
    headers,
    rawHeaders,
    json: () => JSON.parse(text ?? 'null') as Record<string, unknown>,
  };
}

/** A MongoDB URI pointing at another database on the same server. */
export function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface Harness {
  readonly app: App;
  readonly topics: { payments: string; fraud: string; customer: string; lifecycle: string; dlq: string };
  readonly lifecycle: Collected[];
  readonly deadLetters: Collected[];
  readonly baseUrl: string;
  produce(
    topic: string,
    messages: { key?: string | null; value: string | Buffer | null; headers?: Record<string, string | Buffer> }[],
  ): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole worker, in this process, on the shared stack, with topics, consumer group, database and queue of its own.
 * Also listens to the lifecycle and dead-letter topics so tests can assert what was published.
 */
export async function startWorker(
  env: Record<string, string> = {},
  logger: Logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  // As in production, so every integration test also runs the Prometheus metrics and serves GET /metrics.
  metrics: Metrics = new PrometheusMetrics({ eventTypes, logger }),
  tracing: Tracing = noTracing,
  /** The worker's clock: a test that moves time forward gives its own. */
  clock: () => number = Date.now,
): Promise<Harness> {
  const stack = stackConnection();
  const topics = {
    payments: uniqueName('payments'),
    fraud: uniqueName('fraud'),
    customer: uniqueName('customer'),
    lifecycle: uniqueName('lifecycle'),
    dlq: uniqueName('dlq'),
  };
  const config = loadConfig({
    ...stack,
    MONGODB_URI: withDatabase(stack.MONGODB_URI, uniqueName('be').slice(0, 40)),
    KAFKA_GROUP_ID: uniqueName('group'),
    KAFKA_TOPIC_PARTITIONS: '3',
    TOPIC_BILLING_PAYMENTS: topics.payments,
    TOPIC_FRAUD_SIGNALS: topics.fraud,
    TOPIC_CUSTOMER_REQUESTS: topics.customer,
    TOPIC_LIFECYCLE: topics.lifecycle,
    TOPIC_DLQ: topics.dlq,
    TIMER_QUEUE: uniqueName('timers'),
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    ADMIN_TOKEN,
    ACCESS_API_TOKEN: ACCESS_TOKEN,
    RETRY_BACKOFF_MAX: 'PT2S',
    ...env,
  });
  const app = await createApp(config, logger, clock, metrics, tracing);
  await app.start();
  const address = app.http.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  const lifecycle: Collected[] = [];
  const deadLetters: Collected[] = [];
  const kafka = testKafka();
  const listener: Consumer = kafka.consumer({ groupId: uniqueName('listener'), maxWaitTimeInMs: 100 });
  await listener.connect();
  await listener.subscribe({ topics: [config.TOPIC_LIFECYCLE, config.TOPIC_DLQ], fromBeginning: true });
  await listener.run({
    eachMessage: async ({ topic, message }) => {
      (topic === config.TOPIC_LIFECYCLE ? lifecycle : deadLetters).push(collected(message));
      await Promise.resolve();
    },
  });
  const producer = kafka.producer();
  await producer.connect();

  return {
    app,
    // As configured: a test may override a topic name through `env`.
    topics: {
      payments: config.TOPIC_BILLING_PAYMENTS,
      fraud: config.TOPIC_FRAUD_SIGNALS,
      customer: config.TOPIC_CUSTOMER_REQUESTS,
      lifecycle: config.TOPIC_LIFECYCLE,
      dlq: config.TOPIC_DLQ,
    },
    lifecycle,
    deadLetters,
    baseUrl: `http://127.0.0.1:${port}`,
    async produce(topic, messages) {
      await producer.send({
        topic,
        messages: messages.map((message) => ({ key: message.key ?? null, value: message.value, headers: message.headers ?? {} })),
      });
    },
    async stop() {
      await producer.disconnect();
      await listener.disconnect();
      await app.stop();
      // Each test database is throwaway.
      const cleanup = await import('mongoose').then((m) => m.default.createConnection(config.MONGODB_URI).asPromise());
      await cleanup.dropDatabase();
      await cleanup.close();
    },
  };
}

/** Retries `check` until it stops throwing; the last failure is rethrown after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
