import { createHash } from 'node:crypto';

import type { IHeaders, Producer } from 'kafkajs';

import type { AppError } from '../errors';
import { DLQ_HEADERS, DLQ_TRUNCATION_HEADERS, headerValues } from '../contract/headers';
import type { InboundMessage } from './inbound-message';
import type { MessageTrace } from '../tracing/slice-spans';
import { TRACEPARENT, TRACESTATE } from '../tracing/trace-context';
import { kafkaFailure } from './kafka-errors';

export interface DeadLetter {
  readonly message: InboundMessage;
  readonly error: AppError;
  /** Headers of the sink's own beside `dlq.*` (a whole batch's offsets and codec); inbound ones of these names are dropped. */
  readonly headers?: Readonly<Record<string, string>>;
}

const DLQ_PREFIX = 'dlq.';
/** Longer reasons are cut: they are for reading, and a hostile value must not grow the letter through its reason. */
const MAX_REASON_CHARS = 2_000;
/** Real keys are subscription ids (128 characters at most). */
const MAX_KEY_BYTES = 1_024;
/** An inbound message's own headers, all together, beyond which they are dropped rather than copied. */
const MAX_INBOUND_HEADER_BYTES = 64 * 1_024;
/** Kafka's batch and record framing (varint lengths, per-header overhead) and the truncation headers, with room to spare. */
const FRAMING_BYTES = 1_024;
const PER_HEADER_BYTES = 16;

export interface DeadLetterSinkLimits {
  /** Bytes of values per send: large letters of one key share a partition batch, which the topic caps. */
  readonly maxBatchBytes: number;
  /** The dead-letter topic's `max.message.bytes`: no letter is ever larger, whatever it carries. */
  readonly maxRecordBytes: number;
}

interface DeadLetterRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

function headerBytes(headers: InboundMessage['headers']): number {
  let bytes = 0;
  for (const [name, raw] of Object.entries(headers)) {
    for (const value of headerValues(raw))
      bytes += Buffer.byteLength(name) + (value === null ? 0 : Buffer.byteLength(value)) + PER_HEADER_BYTES;
  }
  return bytes;
}

function traceHeaders(trace: MessageTrace | undefined): Record<string, string> {
  if (trace === undefined) return {};
  return trace.tracestate === undefined || trace.tracestate === ''
    ? { [TRACEPARENT]: trace.traceparent }
    : { [TRACEPARENT]: trace.traceparent, [TRACESTATE]: trace.tracestate };
}

/**
 * The record a letter becomes: the original key, value and headers with our `dlq.*` headers, except that inbound
 * `dlq.*` headers are dropped (only this sink writes them: a producer must not forge a letter's source, code or replay
 * link), and a value, key or header set too large for the dead-letter topic is cut and described, so a letter always
 * fits and no single message can hold its partition by failing to park.
 */
export function deadLetterRecord({ message, error, headers }: DeadLetter, failedAt: string, maxRecordBytes: number): DeadLetterRecord {
  const cut: string[] = [];
  const inbound: IHeaders = {};
  // While tracing, the letter names the message's span instead of the producer's: a replay of it then joins that trace.
  const traced = message.trace !== undefined;
  for (const [name, value] of Object.entries(message.headers)) {
    const lower = name.toLowerCase();
    if (value !== undefined && !lower.startsWith(DLQ_PREFIX) && !(traced && (lower === TRACEPARENT || lower === TRACESTATE)))
      inbound[name] = value;
  }
  const keepHeaders = headerBytes(inbound) <= Math.min(MAX_INBOUND_HEADER_BYTES, maxRecordBytes / 4);
  if (!keepHeaders) cut.push('headers');
  let { key, value } = message;
  if (key !== null && key.length > MAX_KEY_BYTES) {
    key = key.subarray(0, MAX_KEY_BYTES);
    cut.push('key');
  }
  const reason = error.message.length > MAX_REASON_CHARS ? `${error.message.slice(0, MAX_REASON_CHARS)}…` : error.message;
  const ours = {
    ...headers,
    ...traceHeaders(message.trace),
    [DLQ_HEADERS.topic]: message.topic,
    [DLQ_HEADERS.partition]: String(message.partition),
    [DLQ_HEADERS.offset]: message.offset,
    [DLQ_HEADERS.code]: error.code,
    [DLQ_HEADERS.reason]: reason,
    [DLQ_HEADERS.failedAt]: failedAt,
  };
  const fixedBytes = (key?.length ?? 0) + (keepHeaders ? headerBytes(inbound) : 0) + headerBytes(ours) + FRAMING_BYTES;
  const maxValueBytes = Math.max(0, maxRecordBytes - fixedBytes);
  const original = value;
  if (value !== null && value.length > maxValueBytes) {
    value = value.subarray(0, maxValueBytes);
    cut.push('value');
  }
  const truncation: IHeaders =
    cut.length === 0
      ? {}
      : {
          [DLQ_TRUNCATION_HEADERS.truncated]: cut.join(','),
          ...(original === null
            ? {}
            : {
                [DLQ_TRUNCATION_HEADERS.valueBytes]: String(original.length),
                [DLQ_TRUNCATION_HEADERS.valueSha256]: createHash('sha256').update(original).digest('hex'),
              }),
        };
  return {
    key,
    value,
    headers: {
      ...(keepHeaders ? inbound : {}),
      ...ours,
      ...truncation,
    },
  };
}

/** Sends bad input to the dead-letter topic with its original key, bytes and headers, plus why. */
export class DeadLetterSink {
  private readonly limits: DeadLetterSinkLimits;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly clock: () => number,
    limits: Partial<DeadLetterSinkLimits> = {},
  ) {
    this.limits = { maxBatchBytes: limits.maxBatchBytes ?? 1_048_576, maxRecordBytes: limits.maxRecordBytes ?? 4 * 1_048_576 };
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    const failedAt = new Date(this.clock()).toISOString();
    let batch: DeadLetterRecord[] = [];
    let bytes = 0;
    for (const letter of letters) {
      const record = deadLetterRecord(letter, failedAt, this.limits.maxRecordBytes);
      const size = record.value?.length ?? 0;
      if (batch.length > 0 && bytes + size > this.limits.maxBatchBytes) {
        await this.produce(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(record);
      bytes += size;
    }
    if (batch.length > 0) await this.produce(batch);
  }

  private async produce(messages: DeadLetterRecord[]): Promise<void> {
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages });
    } catch (error) {
      throw kafkaFailure(error, { op: 'send dead letters', topic: this.topic, count: messages.length });
    }
  }
}
