import { randomUUID } from 'node:crypto';

import { DEFAULT_POLICY_SETTINGS } from '../src/domain';
import { BenchChild, withTimeout } from './child';
import type { BenchEvent, MixOptions } from './event-mix';
import type { MemoryReport } from './memory';
import { benchKafka, connectProducer, createTopics, deleteTopics, produce, uncommitted, waitForGroup, type TopicNames } from './kafka-io';
import { finalStates, jobDifferences, stateDifferences } from './model';
import { perEvent, sumWork, type MongoWork } from './mongo-work';
import { cpuUsedPer, idleCpu, sampleCpu, stackPids, type CpuSeconds } from './process-cpu';
import { summarize, type LatencySummary, type SizeSummary } from './stats';
import { deleteQueueKeys, dropDatabase, preload, readStates, storedSizes, timerJobIds, usedMemory } from './store';

export type VariantKind = 'worker' | 'naive' | 'floor';

export interface Stack {
  readonly KAFKA_BROKERS: string;
  readonly MONGODB_URI: string;
  readonly REDIS_URL: string;
}

export interface VariantSpec {
  readonly label: string;
  readonly kind: VariantKind;
  readonly mix: MixOptions;
  readonly events: readonly BenchEvent[];
  readonly workers: number;
  readonly partitions: number;
  /** Worker settings (CONSUMER_BATCH_SIZE, …) on top of the bench defaults. */
  readonly env: Readonly<Record<string, string>>;
  /** Producer pace; unset: as fast as it can. */
  readonly ratePerSecond?: number;
  readonly timeoutMs: number;
  readonly keep?: boolean;
  /** Subscriptions stored before the run (`--large`): what the store holds after months in production. */
  readonly preload?: number;
  /** Catch-up: the whole log is on the topics before the consumer starts (a backlog), instead of produced while it runs. */
  readonly catchUp?: boolean;
}

export interface Correctness {
  readonly pass: boolean;
  readonly subscriptions: number;
  readonly stateDifferences: number;
  readonly jobDifferences: number;
  readonly pendingOutboxes: number;
  readonly examples: readonly string[];
}

export interface VariantResult {
  readonly label: string;
  readonly kind: VariantKind;
  readonly events: number;
  readonly handled: number;
  readonly complete: boolean;
  readonly workers: number;
  readonly settings: Readonly<Record<string, string>>;
  readonly ratePerSecond: number | null;
  readonly elapsedMs: number;
  readonly throughput: number;
  readonly latency: LatencySummary | null;
  readonly peakRssBytes: number | null;
  /** The largest child's process.memoryUsage() before it consumed, at its highest RSS, and each field's maximum (bench/memory.ts). */
  readonly memory: MemoryReport | null;
  readonly redisBytes: number;
  readonly suspended: number;
  readonly redisBytesPerSuspended: number | null;
  readonly correctness: Correctness;
  readonly catchUp: boolean;
  readonly preload: number;
  /** What the variant's processes asked of MongoDB per event handled (bench/mongo-work.ts). */
  readonly mongoPerEvent: MongoWork;
  /** CPU seconds per event handled of the variant's processes and each stack server, from every child's ready to done. */
  readonly cpuPerEvent: CpuSeconds;
  /** Each stack server's CPU seconds per second just before the variant (its `variant` is 0), and the window's length. */
  readonly cpuBefore: CpuSeconds;
  readonly cpuWindowMs: number;
  /** BSON sizes of the documents the variant left in its database (preloaded ones left out). */
  readonly storedSizes: { readonly subscriptions: SizeSummary; readonly audit: SizeSummary };
}

const SCRIPTS: Record<VariantKind, string> = { worker: 'worker-process.ts', naive: 'naive-worker.ts', floor: 'floor-writer.ts' };

function namesFor(spec: VariantSpec, stack: Stack) {
  const id = randomUUID().slice(0, 8);
  const tag = `bench-${spec.label}-${id}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const topics: TopicNames = { payments: `${tag}-payments`, fraud: `${tag}-fraud`, customer: `${tag}-customer` };
  const extra = { lifecycle: `${tag}-lifecycle`, dlq: `${tag}-dlq` };
  const database = `b-${spec.label}-${id}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
  const prefix = `b-${id}`;
  const env: Record<string, string> = {
    KAFKA_BROKERS: stack.KAFKA_BROKERS,
    // BENCH_MONITOR_COMMANDS=false: no command monitoring (no MongoDB tally), to see what the tally itself costs.
    MONGODB_URI: `${stack.MONGODB_URI.replace(/\/[^/]*$/, `/${database}`)}${process.env.BENCH_MONITOR_COMMANDS === 'false' ? '' : '?monitorCommands=true'}`,
    REDIS_URL: stack.REDIS_URL,
    KAFKA_GROUP_ID: tag,
    KAFKA_CREATE_TOPICS: 'false',
    TOPIC_BILLING_PAYMENTS: topics.payments,
    TOPIC_FRAUD_SIGNALS: topics.fraud,
    TOPIC_CUSTOMER_REQUESTS: topics.customer,
    TOPIC_LIFECYCLE: extra.lifecycle,
    TOPIC_DLQ: extra.dlq,
    QUEUE_PREFIX: prefix,
    TIMER_QUEUE: 'timers',
    // The hourly reconciliation would scan mid-run; it is not part of the event path being measured.
    RECONCILE_ENABLED: 'false',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    KAFKA_SESSION_TIMEOUT: 'PT30S',
    ...spec.env,
  };
  return { topics, allTopics: [...Object.values(topics), ...Object.values(extra)], database, prefix, env };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one variant from a clean slate (its own topics, database, queue prefix, consumer group), checks it, cleans up. */
export async function runVariant(spec: VariantSpec, stack: Stack, log: (line: string) => void): Promise<VariantResult> {
  const names = namesFor(spec, stack);
  const kafka = benchKafka(stack.KAFKA_BROKERS);
  const total = spec.events.length;
  const memoryBefore = await usedMemory(stack.REDIS_URL);
  const servers = stackPids();
  const cpuBefore = await idleCpu(servers);
  const children: BenchChild[] = [];
  try {
    await createTopics(kafka, names.allTopics, spec.partitions);
    await preload(names.env.MONGODB_URI ?? '', spec.preload ?? 0);
    const floor = spec.kind === 'floor';
    const env = floor ? { ...names.env, BENCH_MIX: JSON.stringify(spec.mix), BENCH_PARTITIONS: String(spec.partitions) } : names.env;
    let sent = floor ? total : 0;
    const producer = floor ? undefined : await connectProducer(kafka);
    const produceAll = () =>
      producer === undefined
        ? Promise.resolve(Date.now())
        : produce(producer, names.topics, spec.events, { ratePerSecond: spec.ratePerSecond, onProgress: (count) => (sent = count) });
    if (spec.catchUp === true) {
      await produceAll();
      log(`  ${spec.label}: ${total} events on the topics; starting the consumer`);
    }
    for (let i = 0; i < spec.workers; i++) children.push(BenchChild.start(SCRIPTS[spec.kind], `${spec.label}-${i}`, env));
    // Catch-up is timed from the moment the processes start: their start-up is part of catching up.
    let startedAt = Date.now();
    await Promise.all(children.map((child) => child.waitReady()));
    const pids = children.map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
    const cpuStart = sampleCpu(pids, servers);
    const cpuStartedAt = Date.now();
    if (!floor) await waitForGroup(kafka, names.env.KAFKA_GROUP_ID ?? '', spec.workers);

    const handled = () => children.reduce((sum, child) => sum + child.count, 0);
    if (spec.catchUp !== true) startedAt = Date.now();
    const producing = spec.catchUp === true ? Promise.resolve(startedAt) : produceAll();
    producing.then((at) => (startedAt = at)).catch(() => undefined);
    const deadline = Date.now() + spec.timeoutMs;
    let lastLog = 0;
    while (handled() < total && Date.now() < deadline) {
      await sleep(200);
      if (Date.now() - lastLog >= 5_000) {
        lastLog = Date.now();
        log(`  ${spec.label}: produced ${sent}/${total}, handled ${handled()}`);
      }
    }
    startedAt = await producing;
    await producer?.disconnect();
    // Handled counts include redeliveries and messages a retried send wrote twice: done is when the group is caught up.
    while (!floor && Date.now() < deadline && (await uncommitted(kafka, names.env.KAFKA_GROUP_ID ?? '', Object.values(names.topics))) > 0)
      await sleep(500);
    const cpuEnd = sampleCpu(pids, servers);
    const cpuWindowMs = Date.now() - cpuStartedAt;
    const complete = handled() >= total;
    const lastDoneAt = Math.max(...children.map((child) => child.lastDoneAt));
    const reports = await Promise.all(children.map((child) => child.finish()));
    const first = floor ? Math.min(...reports.map((report) => report.startedAt)) : startedAt;
    const elapsedMs = Math.max(1, lastDoneAt - first);
    const latencies = reports.flatMap((report) => report.latenciesMs);
    const rss = reports.map((report) => report.peakRssBytes).filter((value): value is number => value !== null);
    const memory = reports
      .map((report) => report.memory)
      .reduce<MemoryReport | null>((top, m) => (top === null || m.max.rss > top.max.rss ? m : top), null);
    await sleep(500);
    const redisBytes = (await usedMemory(stack.REDIS_URL)) - memoryBefore;

    log(`  ${spec.label}: checking the store against the domain model`);
    // A hung FerretDB (see MONGO_BULK_CHUNK) answers nothing: fail this variant instead of waiting forever.
    const correctness = await withTimeout(check(spec, names.env, names.prefix), 300_000, `${spec.label}: store check`);
    const sizes = await withTimeout(storedSizes(names.env.MONGODB_URI ?? ''), 300_000, `${spec.label}: document sizes`);
    const count = reports.reduce((sum, report) => sum + report.count, 0);
    return {
      label: spec.label,
      kind: spec.kind,
      events: total,
      handled: count,
      complete,
      workers: spec.workers,
      settings: spec.env,
      ratePerSecond: spec.ratePerSecond ?? null,
      elapsedMs,
      throughput: (Math.min(count, total) / elapsedMs) * 1000,
      latency: latencies.length === 0 ? null : summarize(latencies),
      peakRssBytes: rss.length === 0 ? null : Math.max(...rss),
      memory,
      redisBytes,
      suspended: correctness.suspended,
      redisBytesPerSuspended: correctness.suspended === 0 ? null : redisBytes / correctness.suspended,
      correctness: correctness.result,
      catchUp: spec.catchUp === true,
      preload: spec.preload ?? 0,
      mongoPerEvent: perEvent(sumWork(reports.map((report) => report.mongo)), count),
      cpuPerEvent: cpuUsedPer(cpuStart, cpuEnd, count),
      cpuBefore,
      cpuWindowMs,
      storedSizes: sizes,
    };
  } finally {
    for (const child of children) child.kill();
    if (spec.keep !== true) {
      const cleanup = Promise.all([
        deleteTopics(kafka, names.allTopics),
        dropDatabase(names.env.MONGODB_URI ?? ''),
        deleteQueueKeys(stack.REDIS_URL, names.prefix),
      ]);
      await withTimeout(cleanup, 120_000, `${spec.label}: cleanup`).catch((error: unknown) => {
        log(`  ${spec.label}: cleanup incomplete (${String(error)})`);
      });
    }
  }
}

async function check(spec: VariantSpec, env: Record<string, string>, prefix: string): Promise<{ result: Correctness; suspended: number }> {
  const expected = finalStates(spec.events, DEFAULT_POLICY_SETTINGS);
  const { states, pendingOutboxes } = await readStates(env.MONGODB_URI ?? '', env.REDIS_URL ?? '', prefix);
  const jobs = await timerJobIds(env.REDIS_URL ?? '', prefix, env.TIMER_QUEUE ?? 'timers');
  const stateDiff = stateDifferences(expected, states);
  const jobDiff = jobDifferences(states, jobs);
  const suspended = [...states.values()].filter((state) => state.status === 'suspended' || state.status === 'cancelled').length;
  return {
    suspended,
    result: {
      pass: stateDiff.count === 0 && jobDiff.count === 0 && pendingOutboxes === 0,
      subscriptions: states.size,
      stateDifferences: stateDiff.count,
      jobDifferences: jobDiff.count,
      pendingOutboxes,
      examples: [...stateDiff.examples, ...jobDiff.examples].slice(0, 10),
    },
  };
}
