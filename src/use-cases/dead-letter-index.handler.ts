import { isUtf8 } from 'node:buffer';

import type { IHeaders } from 'kafkajs';

import {
  isOwnHeader,
  REPLAY_HEADERS,
  type DeadLetterHeader,
  type DeadLetterStore,
  type NewDeadLetter,
} from '../storage/dead-letter.repository';
import { DLQ_HEADERS, DLQ_TRUNCATION_HEADERS, headerValues } from '../contract/headers';
import type { InboundMessage } from '../kafka/inbound-message';
import type { SliceHandler } from '../kafka/slice-handler';

const DIGITS = /^\d{1,20}$/;

function values(raw: IHeaders[string]): (Buffer | null)[] {
  return headerValues(raw).map((value) => (typeof value === 'string' ? Buffer.from(value) : value));
}

function text(headers: IHeaders, name: string): string | null {
  return values(headers[name])[0]?.toString('utf8') ?? null;
}

function digits(headers: IHeaders, name: string): string | null {
  const value = text(headers, name);
  return value !== null && DIGITS.test(value) ? value : null;
}

/** A dead-letter record as stored: our dlq.* headers read back, every other header kept as it came. Never throws. */
export function readDeadLetter(partition: number, message: Pick<InboundMessage, 'offset' | 'key' | 'value' | 'headers'>): NewDeadLetter {
  const { headers } = message;
  const original: DeadLetterHeader[] = [];
  for (const [name, raw] of Object.entries(headers)) {
    if (isOwnHeader(name)) continue;
    for (const value of values(raw)) {
      original.push(
        value === null
          ? { name, value: '', encoding: 'null' }
          : isUtf8(value)
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

/**
 * Copies the dead-letter topic into MongoDB, from its beginning, on a PartitionRunner with a consumer group of its own
 * (`<KAFKA_GROUP_ID>.dlq-index`), so indexing never holds up the inbound consumer. Storing is idempotent, so a
 * redelivery changes nothing; a store failure pauses the partition and is retried: a letter is never skipped, and
 * never dead-lettered again (the runner is given no dead-letter sink: that would feed this very topic).
 */
export function deadLetterIndexHandler(store: Pick<DeadLetterStore, 'index'>, clock: () => number): SliceHandler {
  return async (messages) => {
    await store.index(
      messages.map((message) => readDeadLetter(message.partition, message)),
      clock(),
    );
    return { deadLetters: [] };
  };
}
