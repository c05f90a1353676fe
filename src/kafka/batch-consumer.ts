import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import type { InboundMessage } from '../processing/inbound-message';
import { isTransient } from '../transient';
import type { DeadLetterSink } from './dead-letters';
import { groupConsumer } from './kafka-client';

export interface BatchConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly sliceSize: number;
  readonly partitionsConsumedConcurrently: number;
  readonly backoffMaxMs: number;
  /** How long the group waits for a silent member (a crashed process) before giving its partitions to others. */
  readonly sessionTimeoutMs: number;
  /** Consecutive failures, not caused by a dependency, after which a slice is retried one message at a time. */
  readonly isolateAfter?: number;
}

export type SliceHandler = (messages: readonly InboundMessage[]) => Promise<void>;

function toInbound(topic: string, partition: number, message: KafkaMessage): InboundMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: message.headers ?? {},
  };
}

/** kafkajs's own test (errors.js `isRebalancing`): the member must rejoin the group before it may go on. */
function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one place that owns offsets, retries, pauses and dead letters for every inbound topic.
 * A partition's batch is cut into slices; a slice's offset is resolved only once the handler has made it
 * durable. A failing slice is retried with backoff, which holds that partition where it is.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private running = false;
  /** Batches whose heartbeat heard that the group is rebalancing: they stop after the slice in flight. */
  private readonly rebalancing = new WeakSet<EachBatchPayload>();

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
    private readonly handle: SliceHandler,
    private readonly deadLetters: DeadLetterSink,
    private readonly logger: Logger,
  ) {
    this.consumer = groupConsumer(kafka, { groupId: options.groupId, sessionTimeoutMs: options.sessionTimeoutMs, maxWaitTimeInMs: 100 });
  }

  get kafkaConsumer(): Consumer {
    return this.consumer;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitInterval: 1_000,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Stops fetching, lets the in-flight slice finish, commits what was resolved and leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    for (let start = 0; start < batch.messages.length; start += this.options.sliceSize) {
      if (!this.active(payload)) return;
      const slice = batch.messages
        .slice(start, start + this.options.sliceSize)
        .map((message) => toInbound(batch.topic, batch.partition, message));
      const last = slice.at(-1);
      if (last === undefined) return;
      const done = await this.untilDone(slice, payload);
      if (!done) return;
      payload.resolveOffset(last.offset);
      try {
        await payload.commitOffsetsIfNecessary();
      } catch (error) {
        // Uncommitted offsets are committed on the next attempt; redelivery is harmless (duplicates change nothing).
        this.logger.warn({ err: error, topic: batch.topic, partition: batch.partition }, 'offset commit failed; will retry');
      }
      await this.heartbeat(payload);
    }
  }

  private active(payload: EachBatchPayload): boolean {
    return this.running && payload.isRunning() && !payload.isStale() && !this.rebalancing.has(payload);
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

  /** Retries the slice until it succeeds or this consumer loses the partition; returns whether it succeeded. */
  private async untilDone(slice: readonly InboundMessage[], payload: EachBatchPayload): Promise<boolean> {
    let failures = 0;
    let hardFailures = 0;
    const isolateAfter = this.options.isolateAfter ?? 5;
    for (;;) {
      try {
        if (hardFailures >= isolateAfter && slice.length > 1) {
          await this.oneByOne(slice, payload);
        } else {
          await this.whileHeartbeating(payload, () => this.handle(slice));
        }
        if (failures > 0)
          this.logger.info({ topic: slice[0]?.topic, partition: slice[0]?.partition, failures }, 'slice applied after retries');
        return true;
      } catch (error) {
        failures++;
        const transient = isTransient(error);
        hardFailures = transient ? 0 : hardFailures + 1;
        if (!transient && slice.length === 1 && hardFailures >= isolateAfter) {
          const [message] = slice;
          if (message !== undefined) {
            await this.parkPoison(message, error);
            return true;
          }
        }
        const wait = Math.min(this.options.backoffMaxMs, 200 * 2 ** Math.min(failures, 10));
        this.logger.warn(
          {
            err: error,
            transient,
            failures,
            waitMs: wait,
            topic: slice[0]?.topic,
            partition: slice[0]?.partition,
            fromOffset: slice[0]?.offset,
          },
          transient ? 'dependency unavailable; pausing this partition and retrying' : 'slice failed; retrying',
        );
        if (!(await this.wait(wait, payload))) return false;
      }
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

  /** Isolates a poison message so the messages around it still get through. */
  private async oneByOne(slice: readonly InboundMessage[], payload: EachBatchPayload): Promise<void> {
    for (const message of slice) {
      if (!this.active(payload)) throw new AppError('DEPENDENCY_UNAVAILABLE', 'partition lost while isolating a failing message');
      const done = await this.untilDone([message], payload);
      if (!done) throw new AppError('DEPENDENCY_UNAVAILABLE', 'partition lost while isolating a failing message');
    }
  }

  private async parkPoison(message: InboundMessage, error: unknown): Promise<void> {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.logger.error(
      { err: error, topic: message.topic, partition: message.partition, offset: message.offset },
      'message fails on its own; dead-lettering it',
    );
    for (;;) {
      try {
        await this.deadLetters.send([{ message, error: new AppError('PROCESSING_FAILED', reason.slice(0, 2_000), { cause: error }) }]);
        return;
      } catch (sendError) {
        // Stopping: leave the offset unresolved; the next owner of the partition meets the message again.
        if (!this.running) throw new AppError('DEPENDENCY_UNAVAILABLE', 'stopping before the dead letter was sent', { cause: sendError });
        this.logger.warn({ err: sendError }, 'dead-letter send failed; retrying');
        await sleep(1_000);
      }
    }
  }

  private async wait(ms: number, payload: EachBatchPayload): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.active(payload)) return false;
      await sleep(Math.min(1_000, deadline - Date.now()));
      await this.heartbeat(payload);
    }
    return this.active(payload);
  }
}
