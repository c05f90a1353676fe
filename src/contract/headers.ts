// Header names are part of the event contract: the CLI, the console and operators' tools read them back.

/**
 * A header value as Kafka carries it: bytes, or null. kafkajs's types omit null, but it hands over a header written
 * with a null value (Java's `Headers.add(key, null)`) as null, and every reader must expect one.
 */
export type HeaderValue = Buffer | string | null;
export type InboundHeaders = Readonly<Record<string, HeaderValue | HeaderValue[] | undefined>>;

/** A header's values in order: a key may repeat. */
export function headerValues(raw: InboundHeaders[string]): HeaderValue[] {
  if (raw === undefined) return [];
  return Array.isArray(raw) ? raw : [raw];
}

/** Header names on dead letters; `billing-enforcer dlq replay` reads them back. */
export const DLQ_HEADERS = {
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  code: 'dlq.error.code',
  reason: 'dlq.error.reason',
  failedAt: 'dlq.failed-at',
} as const;

/**
 * On a letter that holds a whole record batch the client could not decode (its raw bytes, in Kafka's wire format, from
 * the base offset on): the batch's last offset and compression codec, and for one an operator skipped, who and why.
 * `dlq.source.offset` is the batch's base offset.
 */
export const DLQ_BATCH_HEADERS = {
  lastOffset: 'dlq.source.last-offset',
  compression: 'dlq.batch.compression',
  skippedBy: 'dlq.skip.actor',
  skipReason: 'dlq.skip.reason',
} as const;

/**
 * Set only on a letter that was cut to fit the dead-letter topic: what was cut (`value`, `key`, `headers`, comma
 * separated), and the original value's size and SHA-256. The whole message stays readable on its source topic, at
 * `dlq.source.*`, for as long as that topic retains it; the digest proves a copy read there is the one that failed.
 */
export const DLQ_TRUNCATION_HEADERS = {
  truncated: 'dlq.truncated',
  valueBytes: 'dlq.value.original-bytes',
  valueSha256: 'dlq.value.sha256',
} as const;

/**
 * On a replayed message: which letter it replays, who replayed it (the worker records the operator in the audit
 * trail), and where the event first sat in its source topic (partition and offset of the message that first failed,
 * through any replays that failed again): the worker orders a replay by that place (docs/architecture.md, "Ordering
 * within a hold entry"). Not `dlq.*`: the sink drops inbound `dlq.*` headers, and these must survive a replay that
 * fails again. Anyone who may produce to an inbound topic can write them; the index keeps a `replay.of` only if that
 * letter exists with the same key.
 */
export const REPLAY_HEADERS = {
  replayOf: 'replay.of',
  replayedBy: 'replay.actor',
  sourcePartition: 'replay.source.partition',
  sourceOffset: 'replay.source.offset',
} as const;
