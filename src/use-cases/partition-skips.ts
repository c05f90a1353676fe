import { z } from 'zod';

import { NO_UNSAFE_CHARACTERS } from '../control-characters';
import { AppError } from '../errors';
import type { NewPartitionSkip, PartitionSkip, PartitionSkipRepository } from '../storage/partition-skip.repository';

const MAX_OFFSET = 2n ** 63n - 1n;

const OFFSET_TEXT = /^\d{1,19}$/;

const offset = z
  .string()
  .regex(OFFSET_TEXT, 'must be a Kafka offset (a whole number)')
  .refine((text) => !OFFSET_TEXT.test(text) || BigInt(text) <= MAX_OFFSET, 'must be a Kafka offset (at most 2^63-1)');

const text = z
  .string()
  .min(1, 'must not be empty')
  .max(500, 'must be at most 500 characters')
  .regex(/\S/, 'must not be blank')
  .regex(NO_UNSAFE_CHARACTERS, 'must not contain control or bidirectional-formatting characters');

/** What an operator asks, from the API or the CLI: one partition, an inclusive offset range, who and why. */
export const skipRequestSchema = z
  .strictObject({
    topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name'),
    partition: z.number().int().min(0).max(1_000_000),
    fromOffset: offset,
    toOffset: offset,
    actor: text,
    reason: text,
  })
  // zod runs refinements even after a check failed: an offset that is not one is reported by its own check, never
  // thrown from BigInt (a 500 where a 400 is due).
  .refine(
    (request) =>
      !OFFSET_TEXT.test(request.fromOffset) ||
      !OFFSET_TEXT.test(request.toOffset) ||
      BigInt(request.fromOffset) <= BigInt(request.toOffset),
    {
      message: 'must not be before fromOffset',
      path: ['toOffset'],
    },
  );

export type SkipRequest = z.infer<typeof skipRequestSchema>;

/**
 * Records an operator's approval to move a partition past the record batches it cannot decode within a range. It
 * changes nothing by itself: the replica that owns the partition carries it out when it meets such a batch, writing
 * the batch to the dead-letter topic first (src/kafka/partition-runner.ts). A readable record inside the range is
 * still read and applied: the approval covers only batches that cannot be, so a generous range loses nothing.
 */
export async function approvePartitionSkip(
  store: Pick<PartitionSkipRepository, 'approve'>,
  request: SkipRequest,
  inboundTopics: readonly string[],
): Promise<PartitionSkip> {
  if (!inboundTopics.includes(request.topic)) {
    throw new AppError('USAGE', `topic ${request.topic} is not one the worker consumes (${inboundTopics.join(', ')})`);
  }
  const skip: NewPartitionSkip = { ...request };
  return await store.approve(skip);
}

/** An approval as the API and the CLI show it: offsets as decimal strings, times as ISO 8601, what it let through. */
export function skipView(skip: PartitionSkip) {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    id: skip._id,
    topic: skip.topic,
    partition: skip.partition,
    fromOffset: skip.fromOffset,
    toOffset: skip.toOffset,
    actor: skip.actor,
    reason: skip.reason,
    requestedAt: iso(skip.requestedAt),
    skipped: skip.skipped.map((batch) => ({ firstOffset: batch.firstOffset, lastOffset: batch.lastOffset, at: iso(batch.at) })),
  };
}

export type SkipView = ReturnType<typeof skipView>;

/** What an approval sets going, said once for the API's answer and the CLI's. */
export const SKIP_NOTE =
  'carried out by the replica that owns the partition when it meets an undecodable batch in this range; the batch is dead-lettered first';
