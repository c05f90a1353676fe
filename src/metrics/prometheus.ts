import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { Status } from '../domain';
import type { ConsumerProblem } from '../kafka/consumer-health';
import type { PartitionLag } from '../kafka/offsets';
import type { Logger } from '../logging/logger';
import { cached } from './cached-reading';
import type { ConsumeOutcome, Metrics } from './metrics';

const PREFIX = 'billing_enforcer_';

/** A BullMQ queue as far as metrics care (BullMQ's `Queue` fits). */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(): Promise<Record<string, number>>;
}

/** What is read when Prometheus scrapes, not counted as it happens. */
export interface ScrapeSources {
  readonly consumerLag: () => Promise<readonly PartitionLag[]>;
  readonly queues: readonly CountableQueue[];
  /** Subscriptions whose effects are written but not carried out yet. */
  readonly outboxBacklog?: () => Promise<number>;
  /** Dead letters not replayed yet (the indexed dead-letter topic). */
  readonly pendingDeadLetters?: () => Promise<number>;
  /** Subscriptions by status: a group-by over the whole collection, so read at most every `slowCacheMs`. */
  readonly subscriptionsByStatus?: () => Promise<Readonly<Record<Status, number>>>;
  /** What keeps each consumer from progressing now (the runners' own state: no I/O). */
  readonly consumerProblems?: () => readonly Pick<ConsumerProblem, 'consumer' | 'cause'>[];
}

export interface PrometheusOptions {
  /** The event types the worker knows; any other type is counted as `other`, so bad input cannot add series without bound. */
  readonly eventTypes: readonly string[];
  readonly logger?: Logger;
  /** How long a consumer-lag reading is reused: each reading costs the brokers an offset fetch per topic. */
  readonly lagCacheMs?: number;
  readonly clock?: () => number;
  /** Node.js process metrics (`process_*`, `nodejs_*`, without our prefix, as dashboards expect them). */
  readonly defaultMetrics?: boolean;
  /** How long the slow readings are reused (outbox backlog from Redis; dead letters and statuses from MongoDB); default 30 s. */
  readonly slowCacheMs?: number;
  /** The `version` label of `build_info`; default the package's version. */
  readonly version?: string;
}

/** The version in our package.json (beside `src/` when run with tsx, beside `dist/` when built); `unknown` without it. */
function packageVersion(): string {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON file beside the sources, read once at start-up
      const pkg = require(candidate) as { name?: unknown; version?: unknown };
      if (pkg.name === 'billing-enforcer' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there: try the next place
    }
  }
  return 'unknown';
}

/** The worker's metrics in the Prometheus text format, on a registry of its own (several apps may share a process in tests). */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly eventTypes: ReadonlySet<string>;
  private readonly logger: Logger | undefined;
  private readonly lagCacheMs: number;
  private readonly clock: () => number;
  private sources: ScrapeSources | undefined;

  private readonly consumed: Counter<'topic' | 'type' | 'outcome'>;
  private readonly latency: Histogram<'topic'>;
  private readonly deletions: Counter;
  private readonly documentsDeleted: Counter<'collection'>;
  private readonly reminders: Counter;
  private readonly drift: Counter<'kind'>;
  private readonly scrapeErrors: Counter<'source'>;
  private readonly leaseWaits: Histogram;
  private readonly leasesLost: Counter;
  private readonly identityMismatches: Counter;
  private readonly timerFailures: Counter<'job' | 'final'>;
  private readonly accessLatency: Histogram<'route' | 'code'>;
  private readonly crashes: Counter<'consumer' | 'cause' | 'restart'>;
  private readonly undecodable: Counter<'topic' | 'cause' | 'outcome'>;
  private readonly slowCacheMs: number;
  private slowSources: Required<Pick<ScrapeSources, 'outboxBacklog' | 'pendingDeadLetters' | 'subscriptionsByStatus'>> | undefined;

  constructor(options: PrometheusOptions) {
    this.eventTypes = new Set(options.eventTypes);
    this.logger = options.logger;
    this.lagCacheMs = options.lagCacheMs ?? 5_000;
    this.clock = options.clock ?? Date.now;
    this.slowCacheMs = options.slowCacheMs ?? 30_000;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    this.consumed = new Counter({
      name: `${PREFIX}events_consumed_total`,
      help: 'Inbound messages by topic, envelope type and outcome (applied, duplicate, stale, ignored, dead-lettered).',
      labelNames: ['topic', 'type', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: `${PREFIX}event_latency_seconds`,
      help: "Seconds from a message's Kafka timestamp (when it was produced) to its outcome being durable.",
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.deletions = new Counter({
      name: `${PREFIX}deletions_executed_total`,
      help: 'Subscriptions whose data a deletion job deleted (the tombstone was written).',
      registers,
    });
    this.documentsDeleted = new Counter({
      name: `${PREFIX}documents_deleted_total`,
      help: 'Documents removed by deletion jobs, by data collection.',
      labelNames: ['collection'],
      registers,
    });
    this.reminders = new Counter({
      name: `${PREFIX}reminders_sent_total`,
      help: 'Deletion reminders published.',
      registers,
    });
    this.drift = new Counter({
      name: `${PREFIX}reconciliation_drift_total`,
      help: "Disagreements between MongoDB's timers and Redis's jobs that reconciliation found (and repaired), by kind.",
      labelNames: ['kind'],
      registers,
    });
    this.scrapeErrors = new Counter({
      name: `${PREFIX}scrape_errors_total`,
      help: 'Scrape-time readings that failed (their series are left out of that scrape), by source.',
      labelNames: ['source'],
      registers,
    });
    this.leaseWaits = new Histogram({
      name: `${PREFIX}subscription_lease_wait_seconds`,
      help: "Seconds a writer waited for another process's subscription lease (acquisitions that had to wait).",
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60],
      registers,
    });
    this.leasesLost = new Counter({
      name: `${PREFIX}subscription_leases_lost_total`,
      help: 'Subscription leases that lapsed while held (the holder stalled, or Redis was away, for longer than the TTL).',
      registers,
    });

    this.identityMismatches = new Counter({
      name: `${PREFIX}identity_mismatches_total`,
      help: "Events that named another tenant or customer than their subscription's, dead-lettered as IDENTITY_MISMATCH.",
      registers,
    });
    this.timerFailures = new Counter({
      name: `${PREFIX}timer_job_failures_total`,
      help: 'Failed runs of timer jobs (job: data-deletion or reconcile); final="true" when the job gave up and is kept as failed.',
      labelNames: ['job', 'final'],
      registers,
    });
    this.accessLatency = new Histogram({
      name: `${PREFIX}access_request_duration_seconds`,
      help: 'Seconds to answer the access API (GET /v1/subscriptions/{id} and /access), by route and status code class.',
      labelNames: ['route', 'code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.crashes = new Counter({
      name: `${PREFIX}consumer_crashes_total`,
      help: 'Kafka client crashes below the message handler, by consumer and cause (the error class); restart="true" when the client is restarted.',
      labelNames: ['consumer', 'cause', 'restart'],
      registers,
    });
    this.undecodable = new Counter({
      name: `${PREFIX}undecodable_batches_total`,
      help: 'Record batches the worker could not decode, by topic, cause (unsupported-codec, too-large, corrupt) and outcome (stalled, dead-lettered, skipped).',
      labelNames: ['topic', 'cause', 'outcome'],
      registers,
    });
    const stalled = new Gauge({
      name: `${PREFIX}consumer_stalled`,
      help: 'Partitions (or, for crash-loop, whole consumers) not making progress now, by consumer and cause: what makes /readyz say not ready.',
      labelNames: ['consumer', 'cause'],
      registers,
      collect: () => {
        const read = this.sources?.consumerProblems;
        if (read === undefined) return;
        stalled.reset();
        for (const consumer of ['inbound', 'dlq-index'])
          for (const cause of ['retrying', 'unsupported-codec', 'too-large', 'corrupt', 'crash-loop', 'no-progress'])
            stalled.set({ consumer, cause }, 0);
        for (const problem of read()) stalled.inc({ consumer: problem.consumer, cause: problem.cause });
      },
    });
    new Gauge({
      name: `${PREFIX}build_info`,
      help: 'Always 1; its labels say which build runs (version) on which Node.js (node_version).',
      labelNames: ['version', 'node_version'],
      registers,
    }).set({ version: options.version ?? packageVersion(), node_version: process.version }, 1);

    const outbox = new Gauge({
      name: `${PREFIX}outbox_backlog`,
      help: 'Subscriptions whose effects (timers, lifecycle events, audit) may be owed: pending-effects marks in Redis.',
      registers,
      collect: async () => {
        const value = await this.slowReading('redis', (sources) => sources.outboxBacklog());
        if (value !== undefined) outbox.set(value);
      },
    });
    const pendingLetters = new Gauge({
      name: `${PREFIX}dead_letters_pending`,
      help: 'Dead letters indexed from the dead-letter topic and not replayed yet.',
      registers,
      collect: async () => {
        const value = await this.slowReading('mongodb', (sources) => sources.pendingDeadLetters());
        if (value !== undefined) pendingLetters.set(value);
      },
    });
    const statuses = new Gauge({
      name: `${PREFIX}subscriptions`,
      help: 'Subscriptions by status (active, suspended, cancelled, deleted).',
      labelNames: ['status'],
      registers,
      collect: async () => {
        const counts = await this.slowReading('mongodb', (sources) => sources.subscriptionsByStatus());
        if (counts === undefined) return;
        for (const [status, count] of Object.entries(counts)) statuses.set({ status }, count);
      },
    });
    const committed = new Gauge({
      name: `${PREFIX}consumer_committed_offset`,
      help: "Where the worker's consumer group resumes, by inbound topic and partition: an offset that stops advancing while lag stays is a stalled consumer.",
      labelNames: ['topic', 'partition'],
      registers,
      collect: async () => {
        if (this.sources === undefined) return;
        const rows = await this.reading('kafka', this.sources.consumerLag);
        committed.reset();
        for (const row of rows ?? []) committed.set({ topic: row.topic, partition: String(row.partition) }, row.committed);
      },
    });

    const lag = new Gauge({
      name: `${PREFIX}consumer_lag`,
      help: "Messages not yet committed by the worker's consumer group, by inbound topic and partition.",
      labelNames: ['topic', 'partition'],
      registers,
      collect: async () => {
        if (this.sources === undefined) return;
        const rows = await this.reading('kafka', this.sources.consumerLag);
        // Reset and set with no await between them, so a concurrent scrape never sees half a reading.
        lag.reset();
        for (const row of rows ?? []) lag.set({ topic: row.topic, partition: String(row.partition) }, row.lag);
      },
    });
    const jobs = new Gauge({
      name: `${PREFIX}queue_jobs`,
      help: 'BullMQ jobs by queue and state (waiting, delayed, active, failed, ...).',
      labelNames: ['queue', 'state'],
      registers,
      collect: async () => {
        if (this.sources === undefined) return;
        const readings = await Promise.all(
          this.sources.queues.map(async (queue) => ({
            queue: queue.name,
            counts: await this.reading('redis', () => queue.getJobCounts()),
          })),
        );
        jobs.reset();
        for (const { queue, counts } of readings)
          for (const [state, count] of Object.entries(counts ?? {})) jobs.set({ queue, state }, count);
      },
    });
  }

  /** Binds what is read at scrape time; the app calls it once its Kafka and BullMQ clients exist. */
  watch(sources: ScrapeSources): void {
    this.sources = {
      consumerLag: cached(sources.consumerLag, this.lagCacheMs, this.clock),
      queues: sources.queues,
      ...(sources.consumerProblems === undefined ? {} : { consumerProblems: sources.consumerProblems }),
    };
    const { outboxBacklog, pendingDeadLetters, subscriptionsByStatus } = sources;
    if (outboxBacklog !== undefined && pendingDeadLetters !== undefined && subscriptionsByStatus !== undefined) {
      this.slowSources = {
        outboxBacklog: cached(outboxBacklog, this.slowCacheMs, this.clock),
        pendingDeadLetters: cached(pendingDeadLetters, this.slowCacheMs, this.clock),
        subscriptionsByStatus: cached(subscriptionsByStatus, this.slowCacheMs, this.clock),
      };
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition for `GET /metrics`. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  eventConsumed(topic: string, type: string, outcome: ConsumeOutcome): void {
    const label = type === 'unknown' || this.eventTypes.has(type) ? type : 'other';
    this.consumed.inc({ topic, type: label, outcome });
  }

  eventLatency(topic: string, seconds: number): void {
    this.latency.observe({ topic }, seconds);
  }

  deletionExecuted(collections: readonly { collection: string; deleted: number }[]): void {
    this.deletions.inc();
    for (const { collection, deleted } of collections) this.documentsDeleted.inc({ collection }, deleted);
  }

  reminderSent(): void {
    this.reminders.inc();
  }

  /** Counts drift of one kind (`missing`, `orphan`, ...) that a reconciliation pass found; a pass reports only kinds it found. */
  reconciliationDrift(kind: string, count: number): void {
    this.drift.inc({ kind }, count);
  }

  leaseWaited(seconds: number): void {
    this.leaseWaits.observe(seconds);
  }

  leaseLost(count: number): void {
    this.leasesLost.inc(count);
  }

  identityMismatch(): void {
    this.identityMismatches.inc();
  }

  timerJobFailed(job: string, final: boolean): void {
    this.timerFailures.inc({ job, final: String(final) });
  }

  accessRequest(route: string, statusCode: number, seconds: number): void {
    this.accessLatency.observe({ route, code: `${Math.floor(statusCode / 100)}xx` }, seconds);
  }

  consumerCrashed(consumer: string, cause: string, restart: boolean): void {
    this.crashes.inc({ consumer, cause, restart: String(restart) });
  }

  batchUndecodable(topic: string, cause: string, outcome: 'stalled' | 'dead-lettered' | 'skipped'): void {
    this.undecodable.inc({ topic, cause, outcome });
  }

  private async slowReading<T>(
    source: string,
    read: (sources: NonNullable<PrometheusMetrics['slowSources']>) => Promise<T>,
  ): Promise<T | undefined> {
    const sources = this.slowSources;
    if (sources === undefined) return undefined;
    return await this.reading(source, () => read(sources));
  }

  private async reading<T>(source: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      this.scrapeErrors.inc({ source });
      this.logger?.warn({ err: error, source }, 'metrics reading failed');
      return undefined;
    }
  }
}
