import type { Tracer } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, UndecodableRecordBatch } from 'kafkajs';

import { AppError, classOf } from '../errors';
import type { Logger } from '../logging/logger';
import { PARTITION_RETRY, partitionBackoffMs } from '../retry-policies';
import type { InboundMessage } from './inbound-message';
import type { DeadLetter, DeadLetterSink } from './dead-letters';
import { groupConsumer } from './kafka-client';
import { kafkaFailure } from './kafka-errors';
import { inSliceSpans, sliceFailed, startSliceSpans, type MessageTrace, type SliceSpans } from '../tracing/slice-spans';
import { ClientWatch } from './client-watch';
import { ProgressWatch, type ConsumerProblem, type PartitionPosition, type StallCause } from './consumer-health';
import { coalescing, type SliceHandler, type SliceSubmit } from './slice-handler';
import { batchDeadLetter, undecodableCause, undecodableDetail, type SkipApproval, type UndecodableCause } from './undecodable-batch';

export interface PartitionRunnerOptions {
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Messages per commit, from one partition or several (CONSUMER_BATCH_SIZE). */
  readonly sliceSize: number;
  /** Commits in flight at once (CONSUMER_PARTITIONS_CONCURRENTLY); every partition of a fetch is taken at once. */
  readonly commitsInFlight: number;
  readonly backoffMaxMs: number;
  /** How long the group waits for a silent member (a crashed process) before giving its partitions to others. */
  readonly sessionTimeoutMs: number;
  readonly maxWaitTimeInMs?: number;
  /** Consecutive failures, not caused by a dependency, after which a partition is retried one message at a time (default: `PARTITION_RETRY`). */
  readonly isolateAfter?: number;
  /**
   * Where bad input and poison messages go. null for a runner that must never dead-letter (the dead-letter indexer:
   * a letter sent back to its own topic would loop): its failures are retried until they succeed.
   */
  readonly deadLetters: DeadLetterSink | null;
  /** Spans per message and per slice (src/tracing/slice-spans.ts); null or absent: none. */
  readonly tracer?: Tracer | null;
  /** How long a partition may keep failing, or sit with lag and no progress, before health() reports it. */
  readonly stallAfterMs?: number;
  /** Operators' approvals to move past a record batch the client cannot decode; absent: a stuck partition waits. */
  readonly skips?: SkipApprovals | null;
  /** Where the group's partitions stand (committed offset, lag), read every few seconds for the progress watch. */
  readonly positions?: () => Promise<readonly PartitionPosition[]>;
  readonly observer?: ConsumerObserver;
}

/** Operators' approvals to skip a record batch (`partitions skip`), kept where every replica of the worker reads them. */
export interface SkipApprovals {
  /** An approval, not yet carried out, whose range holds every offset of the batch. */
  find(topic: string, partition: number, firstOffset: string, lastOffset: string): Promise<SkipApproval | null>;
  /** Records that the batch was dead-lettered and the partition moved past it. */
  carriedOut(id: string, batch: { firstOffset: string; lastOffset: string }): Promise<void>;
}

/** What happens below the handler, counted (src/metrics). */
export interface ConsumerObserver {
  consumerCrashed(consumer: string, cause: string, restart: boolean): void;
  batchUndecodable(topic: string, cause: UndecodableCause, outcome: 'stalled' | 'dead-lettered' | 'skipped'): void;
}

/** A partition held at a record batch it cannot decode, until the batch is skipped or the client learns to read it. */
interface Stuck {
  readonly cause: UndecodableCause;
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly detail: string;
  readonly since: number;
  readonly attempts: number;
}

/**
 * A partition in trouble: failing since when and how often; consecutive failures caused by the input (not by a
 * dependency); and whether it is being retried one message at a time to find the poison one.
 */
interface Failing {
  readonly since: number;
  readonly failures: number;
  readonly hardFailures: number;
  readonly isolating: boolean;
}

/** kafkajs's batch workers: one fetch's partitions taken at once (beyond it, batches wait their turn and share commits less). */
const PARTITIONS_AT_ONCE = 256;

function toInbound(topic: string, partition: number, message: KafkaMessage, trace: MessageTrace | undefined): InboundMessage {
  const inbound = {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key ?? null,
    value: message.value ?? null,
    // kafkajs passes a header written with a null value on as null, which its types omit (our patch adds it).
    headers: message.headers ?? {},
  };
  return trace === undefined ? inbound : { ...inbound, trace };
}

/** kafkajs's own test (errors.js `isRebalancing`): the member must rejoin the group before it may go on. */
function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION';
}

/**
 * The one place that owns offsets, retries, pauses and dead letters, for every consumer of ours (the inbound topics
 * and the dead-letter indexer). A partition's batch is cut into slices; a slice's offset is resolved only once its
 * handler has made it durable and its refused messages are dead-lettered. A failing slice pauses its partition with the
 * client's pause (no fetches, other partitions go on) and is redelivered from the last resolved offset after a backoff.
 * A message that fails alone, again and again, for a reason that is not a dependency's, is dead-lettered as poison.
 */
export class PartitionRunner {
  private readonly consumer: Consumer;
  private running = false;
  private connected = false;
  private readonly failing = new Map<string, Failing>();
  private readonly stuck = new Map<string, Stuck>();
  private readonly client: ClientWatch;
  private assignment: ReadonlySet<string> = new Set<string>();
  private readonly progress: ProgressWatch;
  private positionsTimer: NodeJS.Timeout | undefined;
  private readonly resumes = new Set<NodeJS.Timeout>();
  /** Batches whose heartbeat heard that the group is rebalancing: they stop after the slice in flight. */
  private readonly rebalancing = new WeakSet<EachBatchPayload>();
  /** Every partition's slices go through one group commit (slice-handler.ts). */
  private readonly submit: SliceSubmit;

  constructor(
    kafka: Kafka,
    private readonly options: PartitionRunnerOptions,
    handle: SliceHandler,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.submit = coalescing(handle, { maxMessages: options.sliceSize, inFlight: options.commitsInFlight });
    this.consumer = groupConsumer(kafka, {
      groupId: options.groupId,
      sessionTimeoutMs: options.sessionTimeoutMs,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
    });
    this.progress = new ProgressWatch(this.stallAfterMs, clock);
    this.client = new ClientWatch(
      this.consumer,
      {
        name: options.name,
        backoffMaxMs: options.backoffMaxMs,
        ...(options.observer === undefined ? {} : { observer: options.observer }),
        running: () => this.running,
        relaunch: () => this.launch(),
        assigned: (keys) => {
          this.assignment = keys;
          for (const key of this.stuck.keys()) if (!keys.has(key)) this.stuck.delete(key);
        },
      },
      logger,
      clock,
    );
  }

  private get stallAfterMs(): number {
    return this.options.stallAfterMs ?? 60_000;
  }

  get kafkaConsumer(): Consumer {
    return this.consumer;
  }

  async start(): Promise<void> {
    this.connected = true;
    this.running = true;
    this.watchPositions();
    await this.launch();
  }

  /** Connects, subscribes and runs the client: at start, and again after a crash kafkajs does not restart itself. */
  private async launch(): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    } catch (error) {
      throw kafkaFailure(error, { op: `start consumer ${this.options.name}`, groupId: this.options.groupId });
    }
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitInterval: 1_000,
      // Every partition of a fetch at once, so their slices can share a commit; commitsInFlight bounds the work.
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Stops fetching, lets the slice in flight finish, commits what was resolved and leaves the group. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.client.stop();
    clearInterval(this.positionsTimer);
    for (const timer of this.resumes) clearTimeout(timer);
    this.resumes.clear();
    if (!this.connected) return;
    this.connected = false;
    await this.consumer.disconnect();
  }

  /**
   * Every reason this consumer is not making progress, by partition where there is one: what readiness, the console
   * and metrics report. A partition failing or without progress counts once it has lasted `stallAfterMs`; a batch it
   * cannot decode, or a crash the client has not recovered from, at once (they do not pass by themselves).
   */
  health(): ConsumerProblem[] {
    const now = this.clock();
    const consumer = this.options.name;
    const problems: ConsumerProblem[] = [];
    const named = new Set<string>();
    const at = (key: string) => {
      named.add(key);
      const cut = key.lastIndexOf('/');
      return { topic: key.slice(0, cut), partition: Number(key.slice(cut + 1)) };
    };
    for (const [key, stuck] of this.stuck) {
      problems.push({
        consumer,
        cause: stuck.cause,
        ...at(key),
        offset: stuck.firstOffset,
        lastOffset: stuck.lastOffset,
        sinceMs: now - stuck.since,
        detail: stuck.detail,
      });
    }
    for (const [key, failing] of this.failing) {
      if (failing.failures === 0 || now - failing.since < this.stallAfterMs || named.has(key)) continue;
      const cause: StallCause = 'retrying';
      problems.push({
        consumer,
        cause,
        ...at(key),
        offset: null,
        lastOffset: null,
        sinceMs: now - failing.since,
        detail: `${failing.failures} failed attempts in a row`,
      });
    }
    const crash = this.client.problem();
    if (crash !== null) problems.push(crash);
    for (const problem of this.progress.stalled(consumer)) {
      if (!named.has(`${problem.topic ?? ''}/${problem.partition ?? ''}`)) problems.push(problem);
    }
    return problems;
  }

  /** Reads where the group's partitions stand every quarter of the stall threshold (at most 15 s apart). */
  private watchPositions(): void {
    const read = this.options.positions;
    if (read === undefined) return;
    const every = Math.max(1_000, Math.min(15_000, Math.floor(this.stallAfterMs / 4)));
    this.positionsTimer = setInterval(() => {
      read().then(
        (positions) => this.progress.observe(positions, (topic, partition) => this.assignment.has(`${topic}/${partition}`)),
        (error: unknown) => this.logger.debug({ err: error, runner: this.options.name }, 'reading partition positions failed'),
      );
    }, every);
    this.positionsTimer.unref();
  }

  private active(payload: EachBatchPayload): boolean {
    return this.running && payload.isRunning() && !payload.isStale() && !this.rebalancing.has(payload);
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const key = `${batch.topic}/${batch.partition}`;
    if (!(await this.eachSlice(payload, key))) return;
    if (batch.undecodable !== undefined && this.active(payload)) await this.undecodable(payload, key, batch.undecodable);
    else if (batch.messages.length > 0) this.stuck.delete(key);
  }

  /** Handles the batch's messages slice by slice; false when it stopped early (a failure, a rebalance, a stop). */
  private async eachSlice(payload: EachBatchPayload, key: string): Promise<boolean> {
    const { batch } = payload;
    let start = 0;
    while (start < batch.messages.length) {
      if (!this.active(payload)) return false;
      // A partition whose slices keep failing on their input goes one message at a time, to find the poison one.
      const isolating = this.failing.get(key)?.isolating === true;
      const size = isolating ? 1 : this.options.sliceSize;
      const messages = batch.messages.slice(start, start + size);
      const last = messages.at(-1);
      if (last === undefined) return false;
      const tracer = this.options.tracer ?? null;
      const spans = tracer === null ? null : startSliceSpans(tracer, batch.topic, batch.partition, messages);
      const slice = messages.map((message, index) => toInbound(batch.topic, batch.partition, message, spans?.messages[index]));
      if (!(await inSliceSpans(spans, () => this.attempt(payload, key, slice, spans)))) return false;
      payload.resolveOffset(last.offset);
      start += slice.length;
      try {
        await payload.commitOffsetsIfNecessary();
      } catch (error) {
        // Uncommitted offsets are committed on the next attempt; redelivery is harmless (duplicates change nothing).
        this.logger.warn({ err: error, key }, 'offset commit failed; will retry');
      }
      await this.heartbeat(payload);
    }
    if (this.failing.get(key)?.isolating === true && this.failing.get(key)?.failures === 0) this.failing.delete(key);
    return true;
  }

  /**
   * A record batch the client could not decode (our kafkajs patch reports it on its partition instead of failing the
   * fetch for every partition). One over the decompression bound is refused by policy: dead-lettered whole, like any
   * message too large. Any other (a codec we lack, corrupt bytes) holds its partition, paused and re-read after a
   * backoff, until an operator approves skipping it; the other partitions go on.
   */
  private async undecodable(payload: EachBatchPayload, key: string, batch: UndecodableRecordBatch): Promise<void> {
    const { topic, partition } = payload.batch;
    const cause = undecodableCause(batch);
    if (await this.passBatch(payload, key, batch, cause)) return;
    const before = this.stuck.get(key);
    const same = before !== undefined && before.firstOffset === batch.firstOffset && before.cause === cause;
    if (!same) {
      this.logger.error(
        {
          runner: this.options.name,
          topic,
          partition,
          firstOffset: batch.firstOffset,
          lastOffset: batch.lastOffset,
          cause,
          err: batch.cause,
        },
        'partition held at a record batch the worker cannot decode; other partitions go on (docs/operations.md: a partition held by a batch the worker cannot decode)',
      );
      this.options.observer?.batchUndecodable(topic, cause, 'stalled');
    }
    const attempts = same ? before.attempts + 1 : 1;
    this.stuck.set(key, {
      cause,
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      detail: undecodableDetail(batch),
      since: same ? before.since : this.clock(),
      attempts,
    });
    this.pauseFor(payload, partitionBackoffMs(attempts, this.options.backoffMaxMs));
  }

  /**
   * Dead-letters the batch and moves the partition past it when policy or an operator says so: a batch over the bound,
   * or one an approval covers. False when it must stay held (no approval, no sink, or the store or the topic away).
   */
  private async passBatch(
    payload: EachBatchPayload,
    key: string,
    batch: UndecodableRecordBatch,
    cause: UndecodableCause,
  ): Promise<boolean> {
    const { topic, partition } = payload.batch;
    const sink = this.options.deadLetters;
    if (sink === null) return false;
    try {
      const approval =
        cause === 'too-large' ? null : ((await this.options.skips?.find(topic, partition, batch.firstOffset, batch.lastOffset)) ?? null);
      if (cause !== 'too-large' && approval === null) return false;
      await sink.send([batchDeadLetter(topic, partition, batch, approval)]);
      if (approval !== null) await this.options.skips?.carriedOut(approval.id, batch);
      this.logger.warn(
        { runner: this.options.name, key, firstOffset: batch.firstOffset, lastOffset: batch.lastOffset, cause, skip: approval?.id },
        approval === null
          ? 'record batch over the decompression bound dead-lettered'
          : 'record batch skipped as approved and dead-lettered',
      );
      this.options.observer?.batchUndecodable(topic, cause, approval === null ? 'dead-lettered' : 'skipped');
      this.stuck.delete(key);
      payload.resolveOffset(batch.lastOffset);
      await payload.commitOffsetsIfNecessary();
      return true;
    } catch (error) {
      // The approval store or the dead-letter topic is away: the partition stays held, and this is retried.
      this.logger.warn({ err: error, key }, 'could not carry out what an undecodable batch needs; will retry');
      return false;
    }
  }

  /** The client's pause: nothing more is fetched from the partition until the timer resumes it. */
  private pauseFor(payload: EachBatchPayload, ms: number): void {
    const resume = payload.pause();
    const timer = setTimeout(() => {
      this.resumes.delete(timer);
      resume();
    }, ms);
    this.resumes.add(timer);
  }

  /** Handles a slice; returns false when it failed and its partition is paused (it is redelivered after a backoff). */
  private async attempt(
    payload: EachBatchPayload,
    key: string,
    slice: readonly InboundMessage[],
    spans: SliceSpans | null,
  ): Promise<boolean> {
    try {
      const handled = await this.whileHeartbeating(payload, async () => {
        const result = await this.submit(slice, () => this.active(payload));
        if (result === null) return false;
        if (result.deadLetters.length > 0) await this.deadLetter(result.deadLetters);
        return true;
      });
      // Dropped unhandled while it waited (a rebalance, a stop): like a batch that stops early, nothing to record.
      if (!handled) return false;
      const was = this.failing.get(key);
      // While isolating, keep going one at a time until the poison message is found (or the batch ends).
      if (was?.isolating === true) this.failing.set(key, { since: this.clock(), failures: 0, hardFailures: 0, isolating: true });
      else if (was !== undefined) {
        this.logger.info({ runner: this.options.name, key, failures: was.failures }, 'partition recovered');
        this.failing.delete(key);
      }
      return true;
    } catch (error) {
      sliceFailed(spans, error);
      if (await this.failed(key, slice, error)) return true;
      // Paused: the client fetches nothing more from this partition until the backoff ends, then redelivers from the
      // last resolved offset. Other partitions go on meanwhile.
      this.pauseFor(payload, partitionBackoffMs(this.failing.get(key)?.failures ?? 1, this.options.backoffMaxMs));
      return false;
    }
  }

  /** Records a failure; returns true when the message was dead-lettered as poison and the partition may go on. */
  private async failed(key: string, slice: readonly InboundMessage[], error: unknown): Promise<boolean> {
    // Adapters map driver errors where they arise; anything else (not an AppError) is a bug, not an outage.
    const transient = classOf(error).retriable;
    const before = this.failing.get(key);
    const first = slice[0];
    const isolateAfter = this.options.isolateAfter ?? PARTITION_RETRY.isolateAfter;
    const hardFailures = transient ? 0 : (before?.hardFailures ?? 0) + 1;
    const startIsolating = slice.length > 1 && hardFailures >= isolateAfter && this.options.deadLetters !== null;
    const failing: Failing = {
      since: before !== undefined && before.failures > 0 ? before.since : this.clock(),
      failures: (before?.failures ?? 0) + 1,
      hardFailures: startIsolating ? 0 : hardFailures,
      isolating: (before?.isolating ?? false) || startIsolating,
    };
    this.failing.set(key, failing);
    if (!transient && first !== undefined && slice.length === 1 && hardFailures >= isolateAfter && this.options.deadLetters !== null) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.logger.error({ err: error, key, offset: first.offset }, 'message fails on its own; dead-lettering it');
      try {
        await this.deadLetter([{ message: first, error: new AppError('PROCESSING_FAILED', reason.slice(0, 2_000), { cause: error }) }]);
      } catch (sendError) {
        this.logger.warn({ err: sendError, key }, 'dead-letter send failed; will retry');
        return false;
      }
      this.failing.delete(key);
      return true;
    }
    this.logger.warn(
      { err: error, runner: this.options.name, transient, failures: failing.failures, key, fromOffset: first?.offset },
      transient ? 'dependency unavailable; pausing this partition and retrying' : 'slice failed; pausing this partition and retrying',
    );
    return false;
  }

  private async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    if (this.options.deadLetters === null) {
      throw new AppError('PROCESSING_FAILED', `${this.options.name} refused ${letters.length} message(s) but may not dead-letter`);
    }
    await this.options.deadLetters.send(letters);
  }

  private async heartbeat(payload: EachBatchPayload): Promise<void> {
    try {
      await payload.heartbeat();
    } catch (error) {
      // The group waits for every member to rejoin, and a member rejoins only once its batch returns: finishing the
      // rest of a long batch first would hold a joining or replacing member out for that long. What is left is
      // redelivered to whoever owns the partition next (duplicates change nothing).
      if (isRebalancing(error)) this.rebalancing.add(payload);
      this.logger.debug({ err: error }, 'heartbeat failed');
    }
  }

  /** Keeps the group membership alive while a slice takes longer than the session timeout (a slow database, say). */
  private async whileHeartbeating<T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      void this.heartbeat(payload);
    }, 1_000);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }
}
