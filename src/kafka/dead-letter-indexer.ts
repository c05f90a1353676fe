import { isUtf8 } from 'node:buffer';

import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';

import type { Logger } from '../logging/logger';
import { isOwnHeader, REPLAY_HEADERS, type DeadLetterHeader, type DeadLetterStore, type NewDeadLetter } from '../ops/dead-letter-store';
import { DLQ_HEADERS, DLQ_TRUNCATION_HEADERS } from './dead-letters';
import { groupConsumer } from './kafka-client';

export interface DeadLetterIndexerOptions {
  /** Its own consumer group (`<KAFKA_GROUP_ID>.dlq-index`), so indexing never holds up the inbound consumer. */
  readonly groupId: string;
  readonly topic: string;
  readonly backoffMaxMs: number;
  readonly sessionTimeoutMs: number;
  /** Letters written to MongoDB in one go. */
  readonly sliceSize?: number;
}

const DIGITS = /^\d{1,20}$/;

function values(raw: IHeaders[string]): Buffer[] {
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map((value) => (typeof value === 'string' ? Buffer.from(value) : value));
}

function text(headers: IHeaders, name: string): string | null {
  return values(headers[name])[0]?.toString('utf8') ?? null;
}

function digits(headers: IHeaders, name: string): string | null {
  const value = text(headers, name);
  return value !== null && DIGITS.test(value) ? value : null;
}

/** A dead-letter record as stored: our dlq.* headers read back, every other header kept as it came. Never throws. */
export function readDeadLetter(partition: number, message: KafkaMessage): NewDeadLetter {
  const headers = message.headers ?? {};
  const original: DeadLetterHeader[] = [];
  for (const [name, raw] of Object.entries(headers)) {
    if (isOwnHeader(name)) continue;
    for (const value of values(raw)) {
      original.push(
        isUtf8(value)
          ? { name, value: value.toString('utf8'), encoding: 'utf8' }
          : { name, value: value.toString('base64'), encoding: 'base64' },
      );
    }
  }
  const sourcePartition = digits(headers, DLQ_HEADERS.partition);
  const failedAt = Date.parse(text(headers, DLQ_HEADERS.failedAt) ?? '');
  const truncated = text(headers, DLQ_TRUNCATION_HEADERS.truncated);
  const originalBytes = digits(headers, DLQ_TRUNCATION_HEADERS.valueBytes);
  return {
    dlqPartition: partition,
    dlqOffset: message.offset,
    sourceTopic: text(headers, DLQ_HEADERS.topic),
    sourcePartition: sourcePartition === null ? null : Number(sourcePartition),
    sourceOffset: digits(headers, DLQ_HEADERS.offset),
    code: text(headers, DLQ_HEADERS.code),
    reason: text(headers, DLQ_HEADERS.reason),
    failedAt: Number.isFinite(failedAt) ? failedAt : null,
    key: message.key?.toString('utf8') ?? null,
    value: message.value ?? null,
    headers: original,
    replayOf: text(headers, REPLAY_HEADERS.replayOf),
    truncated:
      truncated === null
        ? null
        : {
            parts: truncated,
            valueBytes: originalBytes === null ? null : Number(originalBytes),
            valueSha256: text(headers, DLQ_TRUNCATION_HEADERS.valueSha256),
          },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Copies the dead-letter topic into MongoDB, from its beginning, with a consumer group of its own.
 * Offsets are resolved only once a slice is stored; storing is idempotent, so a redelivery changes nothing.
 * Store failures are retried with backoff, holding the partition: a letter is never skipped, and never dead-lettered
 * again (that would feed this very topic).
 */
export class DeadLetterIndexer {
  private readonly consumer: Consumer;
  private running = false;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly options: DeadLetterIndexerOptions,
    private readonly store: Pick<DeadLetterStore, 'index'>,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {
    this.consumer = groupConsumer(kafka, { groupId: options.groupId, sessionTimeoutMs: options.sessionTimeoutMs, maxWaitTimeInMs: 500 });
  }

  async start(): Promise<void> {
    this.connected = true;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Lets the slice in hand finish, commits and leaves the group; does nothing if never started. */
  async stop(): Promise<void> {
    this.running = false;
    if (!this.connected) return;
    this.connected = false;
    await this.consumer.disconnect();
  }

  private active(payload: EachBatchPayload): boolean {
    return this.running && payload.isRunning() && !payload.isStale();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const size = this.options.sliceSize ?? 100;
    for (let start = 0; start < batch.messages.length; start += size) {
      const slice = batch.messages.slice(start, start + size);
      const last = slice.at(-1);
      if (last === undefined || !(await this.storeSlice(slice, payload))) return;
      payload.resolveOffset(last.offset);
      try {
        await payload.commitOffsetsIfNecessary();
        await payload.heartbeat();
      } catch (error) {
        // Uncommitted offsets are committed later; a redelivery is harmless.
        this.logger.warn({ err: error, partition: batch.partition }, 'dead-letter index: commit or heartbeat failed');
      }
    }
  }

  /** Retries until stored or the partition is lost; returns whether it was stored. */
  private async storeSlice(slice: readonly KafkaMessage[], payload: EachBatchPayload): Promise<boolean> {
    const letters = slice.map((message) => readDeadLetter(payload.batch.partition, message));
    for (let failures = 0; ; failures++) {
      if (!this.active(payload)) return false;
      try {
        await this.store.index(letters, this.clock());
        return true;
      } catch (error) {
        const wait = Math.min(this.options.backoffMaxMs, 200 * 2 ** Math.min(failures, 10));
        this.logger.warn(
          { err: error, partition: payload.batch.partition, failures, waitMs: wait },
          'dead-letter index: store failed; retrying',
        );
        const deadline = Date.now() + wait;
        while (Date.now() < deadline && this.active(payload)) {
          await sleep(Math.min(1_000, deadline - Date.now()));
          await payload.heartbeat().catch((heartbeatError: unknown) => {
            this.logger.debug({ err: heartbeatError }, 'heartbeat failed');
          });
        }
      }
    }
  }
}
