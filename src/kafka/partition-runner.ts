import type { Tracer } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

import { AppError, classOf } from '../errors';
import type { Logger } from '../logging/logger';
import type { InboundMessage } from './inbound-message';
import type { DeadLetter, DeadLetterSink } from './dead-letters';
import { groupConsumer } from './kafka-client';
import { kafkaFailure } from './kafka-errors';
import { inSliceSpans, sliceFailed, startSliceSpans, type MessageTrace, type SliceSpans } from '../tracing/slice-spans';

export interface PartitionRunnerOptions {
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly sliceSize: number;
  readonly partitionsConsumedConcurrently: number;
  readonly backoffMaxMs: number;
  /** How long the group waits for a silent member (a crashed process) before giving its partitions to others. */
  readonly sessionTimeoutMs: number;
  readonly maxWaitTimeInMs?: number;
  /** Consecutive failures, not caused by a dependency, after which a partition is retried one message at a time. */
  readonly isolateAfter?: number;
  /**
   * Where bad input and poison messages go. null for a runner that must never dead-letter (the dead-letter indexer:
   * a letter sent back to its own topic would loop): its failures are retried until they succeed.
   */
  readonly deadLetters: DeadLetterSink | null;
  /** Spans per message and per slice (src/tracing/slice-spans.ts); null or absent: none. */
  readonly tracer?: Tracer | null;
}

/** What a slice's handler reports: the messages it refused, to be dead-lettered before the offsets move past them. */
export interface SliceResult {
  readonly deadLetters: readonly DeadLetter[];
}

export type SliceHandler = (messages: readonly InboundMessage[]) => Promise<SliceResult>;

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

export interface PartitionHealth {
  readonly topic: string;
  readonly partition: number;
  readonly failingSinceMs: number;
  readonly failures: number;
}

function toInbound(topic: string, partition: number, message: KafkaMessage, trace: MessageTrace | undefined): InboundMessage {
  const inbound = {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: message.headers ?? {},
  };
  return trace === undefined ? inbound : { ...inbound, trace };
}

/** kafkajs's own test (errors.js `isRebalancing`): the member must rejoin the group before it may go on. */
function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION';
}

export function backoffFor(failures: number, maxMs: number): number {
  return Math.min(maxMs, 200 * 2 ** Math.min(failures, 10));
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
  private readonly resumes = new Set<NodeJS.Timeout>();
  /** Batches whose heartbeat heard that the group is rebalancing: they stop after the slice in flight. */
  private readonly rebalancing = new WeakSet<EachBatchPayload>();

  constructor(
    kafka: Kafka,
    private readonly options: PartitionRunnerOptions,
    private readonly handle: SliceHandler,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.consumer = groupConsumer(kafka, {
      groupId: options.groupId,
      sessionTimeoutMs: options.sessionTimeoutMs,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
    });
  }

  get kafkaConsumer(): Consumer {
    return this.consumer;
  }

  async start(): Promise<void> {
    this.connected = true;
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    } catch (error) {
      throw kafkaFailure(error, { op: `start consumer ${this.options.name}`, groupId: this.options.groupId });
    }
    this.running = true;
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitInterval: 1_000,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Stops fetching, lets the slice in flight finish, commits what was resolved and leaves the group. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.resumes) clearTimeout(timer);
    this.resumes.clear();
    if (!this.connected) return;
    this.connected = false;
    await this.consumer.disconnect();
  }

  /** Partitions that have been failing (paused and retried) for at least `forMs`: what readiness reports. */
  stalled(forMs: number): PartitionHealth[] {
    const now = this.clock();
    return [...this.failing.entries()]
      .filter(([, failing]) => failing.failures > 0 && now - failing.since >= forMs)
      .map(([key, failing]) => {
        const at = key.lastIndexOf('/');
        return {
          topic: key.slice(0, at),
          partition: Number(key.slice(at + 1)),
          failingSinceMs: now - failing.since,
          failures: failing.failures,
        };
      });
  }

  private active(payload: EachBatchPayload): boolean {
    return this.running && payload.isRunning() && !payload.isStale() && !this.rebalancing.has(payload);
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const key = `${batch.topic}/${batch.partition}`;
    let start = 0;
    while (start < batch.messages.length) {
      if (!this.active(payload)) return;
      // A partition whose slices keep failing on their input goes one message at a time, to find the poison one.
      const isolating = this.failing.get(key)?.isolating === true;
      const size = isolating ? 1 : this.options.sliceSize;
      const messages = batch.messages.slice(start, start + size);
      const last = messages.at(-1);
      if (last === undefined) return;
      const tracer = this.options.tracer ?? null;
      const spans = tracer === null ? null : startSliceSpans(tracer, batch.topic, batch.partition, messages);
      const slice = messages.map((message, index) => toInbound(batch.topic, batch.partition, message, spans?.messages[index]));
      if (!(await inSliceSpans(spans, () => this.attempt(payload, key, slice, spans)))) return;
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
  }

  /** Handles a slice; returns false when it failed and its partition is paused (it is redelivered after a backoff). */
  private async attempt(
    payload: EachBatchPayload,
    key: string,
    slice: readonly InboundMessage[],
    spans: SliceSpans | null,
  ): Promise<boolean> {
    try {
      await this.whileHeartbeating(payload, async () => {
        const result = await this.handle(slice);
        if (result.deadLetters.length > 0) await this.deadLetter(result.deadLetters);
      });
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
      const resume = payload.pause();
      const timer = setTimeout(
        () => {
          this.resumes.delete(timer);
          resume();
        },
        backoffFor(this.failing.get(key)?.failures ?? 1, this.options.backoffMaxMs),
      );
      this.resumes.add(timer);
      return false;
    }
  }

  /** Records a failure; returns true when the message was dead-lettered as poison and the partition may go on. */
  private async failed(key: string, slice: readonly InboundMessage[], error: unknown): Promise<boolean> {
    // Adapters map driver errors where they arise; anything else (not an AppError) is a bug, not an outage.
    const transient = classOf(error).retriable;
    const before = this.failing.get(key);
    const first = slice[0];
    const isolateAfter = this.options.isolateAfter ?? 5;
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
  private async whileHeartbeating(payload: EachBatchPayload, work: () => Promise<void>): Promise<void> {
    const timer = setInterval(() => {
      void this.heartbeat(payload);
    }, 1_000);
    try {
      await work();
    } finally {
      clearInterval(timer);
    }
  }
}
