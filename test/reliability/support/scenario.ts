import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import mongoose, { type Connection } from 'mongoose';

import { pendingEffectsKey } from '../../../src/commit/pending-effects';
import type { Subscription } from '../../../src/domain';
import type { SubscriptionDocument } from '../../../src/storage/subscription.repository';
import type { AuditDocument } from '../../../src/storage/audit.repository';
import { project, type Projection } from '../../support/state-projection';
import type { LoggedEvent, ModelResult, TopicKey } from './event-log';
import { DATA_DELETION, parseDeletionJobId } from '../../../src/queue/timer-jobs';
import { lifecycleDifferences, readLifecycle } from './lifecycle-check';
import { reliabilityStack } from './reliability-stack';
import { outputDir } from './worker-process';

/** One scenario's names and the worker environment that uses them; every scenario is isolated from the others. */
export function scenarioEnv(name: string, overrides: Record<string, string> = {}) {
  const id = randomUUID().slice(0, 8);
  const { connection } = reliabilityStack();
  const topics: Record<TopicKey | 'lifecycle' | 'dlq', string> = {
    payments: `${name}-payments-${id}`,
    fraud: `${name}-fraud-${id}`,
    customer: `${name}-customer-${id}`,
    lifecycle: `${name}-lifecycle-${id}`,
    dlq: `${name}-dlq-${id}`,
  };
  const database = `rel-${name}-${id}`.slice(0, 40);
  const queueName = `timers-${name}-${id}`;
  const env: Record<string, string> = {
    KAFKA_BROKERS: connection.KAFKA_BROKERS,
    MONGODB_URI: connection.MONGODB_URI.replace(/\/[^/]*$/, `/${database}`),
    REDIS_URL: connection.REDIS_URL,
    KAFKA_GROUP_ID: `${name}-${id}`,
    TOPIC_BILLING_PAYMENTS: topics.payments,
    TOPIC_FRAUD_SIGNALS: topics.fraud,
    TOPIC_CUSTOMER_REQUESTS: topics.customer,
    TOPIC_LIFECYCLE: topics.lifecycle,
    TOPIC_DLQ: topics.dlq,
    TIMER_QUEUE: queueName,
    KAFKA_TOPIC_PARTITIONS: '6',
    CONSUMER_BATCH_SIZE: '50',
    RETRY_BACKOFF_MAX: 'PT2S',
    RECONCILE_ENABLED: 'false',
    DELETION_REMINDERS: 'none',
    LOG_LEVEL: 'info',
    KAFKA_SESSION_TIMEOUT: 'PT10S',
    ...overrides,
  };
  return { env, topics, database, queueName };
}

export type ScenarioNames = ReturnType<typeof scenarioEnv>;

/** The test's own view of the scenario's Kafka topics, database and queue, for producing and checking. */
export class Observer {
  private constructor(
    readonly names: ScenarioNames,
    readonly kafka: Kafka,
    readonly producer: Producer,
    readonly connection: Connection,
    readonly redis: Redis,
    readonly queue: Queue,
  ) {}

  static async open(names: ScenarioNames): Promise<Observer> {
    const kafka = new Kafka({
      clientId: 'reliability-observer',
      brokers: [names.env.KAFKA_BROKERS ?? ''],
      logLevel: logLevel.NOTHING,
      retry: { retries: 20, maxRetryTime: 5_000 },
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 30, maxRetryTime: 5_000 } });
    await producer.connect();
    const connection = await mongoose.createConnection(names.env.MONGODB_URI ?? '', { serverSelectionTimeoutMS: 30_000 }).asPromise();
    const redis = new Redis(names.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
    const queue = new Queue(names.queueName, { connection: redis, prefix: 'be' });
    // Redis is restarted on purpose in some scenarios; the observer just retries.
    queue.on('error', () => undefined);
    redis.on('error', () => undefined);
    return new Observer(names, kafka, producer, connection, redis, queue);
  }

  /** Produces in order, `chunk` messages at a time, pausing between chunks so the stream flows while faults happen. */
  async produce(events: readonly LoggedEvent[], options: { chunk?: number; pauseMs?: number } = {}): Promise<void> {
    const chunk = options.chunk ?? 100;
    for (let start = 0; start < events.length; start += chunk) {
      const slice = events.slice(start, start + chunk);
      for (const topic of ['payments', 'fraud', 'customer'] as const) {
        const messages = slice.filter((event) => event.topic === topic).map((event) => ({ key: event.key, value: event.value }));
        if (messages.length > 0) await this.producer.send({ topic: this.names.topics[topic], acks: -1, messages });
      }
      if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }

  private subscriptions() {
    return this.connection.collection<SubscriptionDocument>('subscriptions');
  }

  private audit() {
    return this.connection.collection<AuditDocument>('audit_records');
  }

  /**
   * Messages on the inbound topics the scenario's consumer group has not committed, by partition. Read from Kafka: it
   * costs nothing there, while every look at FerretDB scans whole collections and slows the worker under test.
   */
  async uncommitted(): Promise<Map<string, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const lag = new Map<string, number>();
      const groupId = this.names.env.KAFKA_GROUP_ID ?? '';
      for (const topic of [this.names.topics.payments, this.names.topics.fraud, this.names.topics.customer]) {
        const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
        for (const end of ends) {
          const offset = Number(committed?.partitions.find((partition) => partition.partition === end.partition)?.offset ?? -1);
          const behind = Number(end.high) - (offset < 0 ? Number(end.low) : offset);
          if (behind > 0) lag.set(`${topic}/${end.partition}`, behind);
        }
      }
      return lag;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Waits until every event id has a decision in the audit trail and no subscription has effects pending. MongoDB is
   * only asked once the group has committed everything (a necessary condition), then every few seconds.
   */
  async waitUntilSettled(eventIds: ReadonlySet<string>, timeoutMs = 420_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastLag = new Map<string, number>();
    for (;;) {
      try {
        lastLag = await this.uncommitted();
        if (lastLag.size === 0) {
          const seen = new Set<unknown>(await this.audit().distinct('eventId'));
          const missing = [...eventIds].filter((id) => !seen.has(id)).length;
          const pending = await this.pendingEffects();
          if (missing === 0 && pending === 0) return;
          if (Date.now() > deadline)
            throw new Error(`not settled: ${missing} events without a decision, ${pending} subscriptions with effects pending`);
        } else if (Date.now() > deadline) {
          throw new Error(`not settled: the group has not committed ${JSON.stringify(Object.fromEntries(lastLag))}`);
        }
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, lastLag.size === 0 ? 3_000 : 1_000));
    }
  }

  /** Subscriptions whose effects are marked owed (src/commit/pending-effects.ts): 0 once every commit has finished. */
  async pendingEffects(): Promise<number> {
    return await this.redis.hlen(pendingEffectsKey('be', this.names.database));
  }

  async states(): Promise<Map<string, Subscription>> {
    const docs = await this.subscriptions().find({}).toArray();
    return new Map(docs.map((doc) => [doc._id, doc as unknown as Subscription]));
  }

  async auditRecords(): Promise<AuditDocument[]> {
    return await this.audit().find({}).toArray();
  }

  async deadLetterCount(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.names.topics.dlq);
      return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Compares MongoDB and Redis with the model; returns a list of differences (empty when they agree). */
  async differencesFromModel(result: ModelResult): Promise<string[]> {
    const problems: string[] = [];
    const states = await this.states();
    const records = await this.auditRecords();
    for (const [id, expected] of result.projections) {
      const state = states.get(id);
      const actual: Projection | undefined = state === undefined ? undefined : project(state);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        // The subscription's trail in recorded order, so a failure can be read without the database.
        const trail = records
          .filter((record) => record.subscriptionId === id)
          .sort((a, b) => a.recordedAt - b.recordedAt)
          .map((record) => `${record.eventId}:${record.type}:${record.outcome}:${record.reason}`);
        problems.push(`${id}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}; trail ${trail.join(' | ')}`);
      }
    }
    const appliedCounts = new Map<string, number>();
    for (const record of records) {
      if (record.outcome === 'applied') appliedCounts.set(record.eventId, (appliedCounts.get(record.eventId) ?? 0) + 1);
    }
    // Audit records of one applied event share an id, so a second application's record is dropped: this count cannot
    // see one. The lifecycle topic can (lifecycleDifferences).
    for (const [eventId, count] of appliedCounts) if (count > 1) problems.push(`${eventId} applied ${count} times`);
    // An event that changes nothing is "applied: no-change" on a stored subscription and "ignored: no-change" where none
    // is stored yet (it creates none). Which one it meets depends on how the inbound topics interleave, which the
    // model (log order) cannot know: either label is right for it.
    const noChange = new Set(records.filter((record) => record.reason.startsWith('no-change')).map((record) => record.eventId));
    for (const eventId of result.applied)
      if (!appliedCounts.has(eventId) && !noChange.has(eventId)) problems.push(`${eventId} never applied`);
    for (const eventId of appliedCounts.keys())
      if (result.uniqueEventIds.has(eventId) && !result.applied.has(eventId) && !noChange.has(eventId))
        problems.push(`${eventId} applied, the model says not`);

    problems.push(
      ...lifecycleDifferences(result.lifecycle, await readLifecycle(this.kafka, this.names.topics.lifecycle), result.uniqueEventIds),
    );

    const delayed = await this.queue.getJobs(['delayed', 'waiting'], 0, -1);
    const jobIds = new Set(delayed.map((job) => job.id));
    for (const [id, state] of states) {
      // The timer job's id names its subscription; its data stays empty.
      const ownJobs = delayed.filter((job) => parseDeletionJobId(job.id ?? '')?.subscriptionId === id && job.name === DATA_DELETION);
      if (state.status === 'suspended' || state.status === 'cancelled') {
        const expectedJob = `d.${state.deletion?.generation ?? '?'}.${id}`;
        if (!jobIds.has(expectedJob)) problems.push(`${id} is ${state.status} but has no job ${expectedJob}`);
        if (ownJobs.length !== 1) problems.push(`${id} has ${ownJobs.length} deletion jobs`);
      } else if (ownJobs.length > 0) {
        problems.push(`${id} is ${state.status} but has deletion jobs ${ownJobs.map((job) => job.id).join(', ')}`);
      }
    }
    return problems;
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.queue.close();
    this.redis.disconnect();
    await this.connection.dropDatabase().catch(() => undefined);
    await this.connection.close();
  }
}

export const figuresFile = path.join(outputDir, 'figures.json');

let scenarioStartedAt = Date.now();

/** Called before each scenario (support/timeout.ts), so its figures say how long it ran. */
export function markScenarioStart(): void {
  scenarioStartedAt = Date.now();
}

/**
 * Adds one scenario's figures, with how many seconds it has run, to test-output/reliability/figures.json, which
 * docs/RELIABILITY.md quotes. The global setup empties the file, so it only ever holds one run.
 */
export function recordFigures(scenario: string, figures: Record<string, number | string>): void {
  fs.mkdirSync(outputDir, { recursive: true });
  const all = fs.existsSync(figuresFile) ? (JSON.parse(fs.readFileSync(figuresFile, 'utf8')) as Record<string, unknown>) : {};
  all[scenario] = { ...figures, seconds: Math.round((Date.now() - scenarioStartedAt) / 1000), recordedAt: new Date().toISOString() };
  fs.writeFileSync(figuresFile, `${JSON.stringify(all, null, 2)}\n`);
}
