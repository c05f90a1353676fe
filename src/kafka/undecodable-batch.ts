import type { UndecodableRecordBatch } from 'kafkajs';

import { PRODUCER_COMPRESSIONS } from '../config/kafka-compression';
import { AppError } from '../errors';
import { DLQ_BATCH_HEADERS } from '../contract/headers';
import type { DeadLetter } from './dead-letters';

/**
 * Why a record batch could not be decoded: a codec this build lacks (one Kafka adds later), a batch over the
 * decompression bound, or bytes that do not parse. Closed, so it can label metrics.
 */
export type UndecodableCause = 'unsupported-codec' | 'too-large' | 'corrupt';

export function undecodableCause(batch: UndecodableRecordBatch): UndecodableCause {
  const cause = batch.cause as { name?: unknown; code?: unknown } | null;
  if (cause?.code === 'ERR_BUFFER_TOO_LARGE') return 'too-large';
  if (cause?.name === 'KafkaJSNotImplemented') return 'unsupported-codec';
  return 'corrupt';
}

export function compressionName(attributes: number): string {
  const id = attributes & 0x07;
  // Kafka's codec ids are the positions of its `compression.type` names.
  return PRODUCER_COMPRESSIONS[id] ?? `codec-${id}`;
}

/** One line for logs, readiness and letters: never the batch's bytes, only what the decoder said of them. */
export function undecodableDetail(batch: UndecodableRecordBatch): string {
  const cause = batch.cause instanceof Error ? `${batch.cause.name}: ${batch.cause.message}` : String(batch.cause);
  return `${undecodableCause(batch)}: ${compressionName(batch.attributes)} record batch at offsets ${batch.firstOffset}-${batch.lastOffset}: ${cause.slice(0, 500)}`;
}

/** Who moved a partition past a batch, and why: recorded on the letter that keeps the batch. */
export interface SkipApproval {
  readonly id: string;
  readonly actor: string;
  readonly reason: string;
}

/**
 * The letter that keeps a batch the worker will not read: its raw bytes as the value (cut and digested by the sink if
 * they do not fit), its offsets and codec in headers. Nothing in it is lost silently: the batch can be decoded
 * offline from the letter, or read again from its topic while the topic retains it.
 */
export function batchDeadLetter(
  topic: string,
  partition: number,
  batch: UndecodableRecordBatch,
  approval: SkipApproval | null,
): DeadLetter {
  const detail = undecodableDetail(batch);
  const error =
    approval === null
      ? new AppError('BATCH_TOO_LARGE', detail)
      : new AppError('BATCH_SKIPPED', `skipped by ${approval.actor}: ${approval.reason} (${detail})`);
  return {
    message: {
      topic,
      partition,
      offset: batch.firstOffset,
      timestamp: '0',
      key: null,
      value: batch.rawBatch,
      headers: {},
    },
    error,
    headers: {
      [DLQ_BATCH_HEADERS.lastOffset]: batch.lastOffset,
      [DLQ_BATCH_HEADERS.compression]: compressionName(batch.attributes),
      ...(approval === null ? {} : { [DLQ_BATCH_HEADERS.skippedBy]: approval.actor, [DLQ_BATCH_HEADERS.skipReason]: approval.reason }),
    },
  };
}
