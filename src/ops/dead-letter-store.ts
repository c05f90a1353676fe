import type { Producer } from 'kafkajs';
import type { Collection, Connection, mongo } from 'mongoose';
import { ensureIndexes } from '../storage/indexes';

export const DEAD_LETTERS = 'dead_letters';
/** How much of a value the listing shows as text. */
export const VALUE_PREVIEW_BYTES = 2_048;
/** Larger values are not kept (a MongoDB document holds 16 MB, and base64 adds a third); such a letter replays only with a corrected value. */
export const MAX_KEPT_VALUE_BYTES = 8 * 1024 * 1024;
/** Headers named so are the dead-letter topic's own; they are not part of the original message. */
export const DLQ_HEADER_PREFIX = 'dlq.';
export const REPLAY_HEADERS = { replayOf: 'dlq.replay-of', replayedBy: 'dlq.replayed-by' } as const;

/** One header of the original message; a header name sent twice gives two entries. Binary values are kept as base64. */
export interface DeadLetterHeader {
  readonly name: string;
  readonly value: string;
  readonly encoding: 'utf8' | 'base64';
}

/** A dead letter as read off the dead-letter topic, before it is stored. */
export interface NewDeadLetter {
  readonly dlqPartition: number;
  readonly dlqOffset: string;
  readonly sourceTopic: string | null;
  readonly sourcePartition: number | null;
  readonly sourceOffset: string | null;
  readonly code: string | null;
  readonly reason: string | null;
  readonly failedAt: number | null;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: readonly DeadLetterHeader[];
  /** The letter this one is a replay of, when a replayed message failed again. */
  readonly replayOf: string | null;
}

/** A stored letter: what was read off the topic (its value as base64), plus where it sorts and its replay status. */
interface DeadLetterDocument extends Omit<NewDeadLetter, 'value'> {
  /** `<dlqPartition>-<dlqOffset>`: a letter indexed twice is stored once. */
  readonly _id: string;
  /** Zero-padded partition and offset: sorts in dead-letter topic order, and is the pagination cursor. */
  readonly position: string;
  /** base64; null when the record had no value or it was too large to keep (then `valueBytes` is not null). */
  readonly value: string | null;
  readonly valueBytes: number | null;
  readonly valuePreview: string | null;
  readonly indexedAt: number;
  readonly replayedAt: number | null;
  readonly replayedBy: string | null;
  readonly replayCount: number;
  /** The operator's corrected value (base64) of the last replay that used one. */
  readonly correctedValue: string | null;
}

/** What the API and the CLI show of a dead letter. Times are ISO 8601; `value` and `correctedValue` are base64. */
export interface DeadLetterView extends Omit<DeadLetterDocument, '_id' | 'position' | 'indexedAt' | 'failedAt' | 'replayedAt'> {
  readonly id: string;
  readonly status: 'pending' | 'replayed';
  readonly failedAt: string | null;
  readonly replayedAt: string | null;
}

export interface DeadLetterFilter {
  code?: string;
  sourceTopic?: string;
  status?: 'pending' | 'replayed';
  ids?: readonly string[];
}

export const DEAD_LETTER_ID = /^\d{1,9}-\d{1,20}$/;

export function deadLetterId(partition: number, offset: string): string {
  return `${partition}-${offset}`;
}

function position(partition: number, offset: string): string {
  return `${String(partition).padStart(9, '0')}.${offset.padStart(20, '0')}`;
}

const POSITION = /^\d{9}\.\d{20}$/;

function encodeCursor(at: string): string {
  return Buffer.from(at).toString('base64url');
}

/** A cursor is opaque to clients; a malformed one is refused (RangeError) rather than guessed at. */
export function decodeDeadLetterCursor(cursor: string): string {
  const at = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!POSITION.test(at)) throw new RangeError('invalid cursor');
  return at;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toDocument(letter: NewDeadLetter, now: number): DeadLetterDocument {
  const { value } = letter;
  return {
    _id: deadLetterId(letter.dlqPartition, letter.dlqOffset),
    position: position(letter.dlqPartition, letter.dlqOffset),
    dlqPartition: letter.dlqPartition,
    dlqOffset: letter.dlqOffset,
    sourceTopic: letter.sourceTopic,
    sourcePartition: letter.sourcePartition,
    sourceOffset: letter.sourceOffset,
    code: letter.code,
    reason: letter.reason,
    failedAt: letter.failedAt,
    key: letter.key,
    value: value === null || value.length > MAX_KEPT_VALUE_BYTES ? null : value.toString('base64'),
    valueBytes: value === null ? null : value.length,
    // A cut may split a character; the preview is for reading, `value` is for replaying.
    valuePreview: value === null ? null : value.subarray(0, VALUE_PREVIEW_BYTES).toString('utf8'),
    headers: letter.headers,
    replayOf: letter.replayOf,
    indexedAt: now,
    replayedAt: null,
    replayedBy: null,
    replayCount: 0,
    correctedValue: null,
  };
}

function toView(doc: DeadLetterDocument): DeadLetterView {
  return {
    id: doc._id,
    status: doc.replayedAt === null ? 'pending' : 'replayed',
    dlqPartition: doc.dlqPartition,
    dlqOffset: doc.dlqOffset,
    sourceTopic: doc.sourceTopic,
    sourcePartition: doc.sourcePartition,
    sourceOffset: doc.sourceOffset,
    code: doc.code,
    reason: doc.reason,
    failedAt: iso(doc.failedAt),
    key: doc.key,
    value: doc.value,
    valueBytes: doc.valueBytes,
    valuePreview: doc.valuePreview,
    headers: doc.headers,
    replayOf: doc.replayOf,
    replayedAt: iso(doc.replayedAt),
    replayedBy: doc.replayedBy,
    replayCount: doc.replayCount,
    correctedValue: doc.correctedValue,
  };
}

function toQuery(filter: DeadLetterFilter): mongo.Filter<DeadLetterDocument> {
  return {
    ...(filter.code === undefined ? {} : { code: filter.code }),
    ...(filter.sourceTopic === undefined ? {} : { sourceTopic: filter.sourceTopic }),
    ...(filter.status === undefined ? {} : { replayedAt: filter.status === 'pending' ? null : { $ne: null } }),
    ...(filter.ids === undefined ? {} : { _id: { $in: [...filter.ids] } }),
  };
}

/** The dead-letter topic, indexed in MongoDB (`dead_letters`) so operators can search it and replay from it. */
export class DeadLetterStore {
  private readonly collection: Collection<DeadLetterDocument>;

  constructor(connection: Connection) {
    this.collection = connection.collection<DeadLetterDocument>(DEAD_LETTERS);
  }

  async ensureIndexes(): Promise<void> {
    // One index per command: see src/storage/indexes.ts.
    await ensureIndexes(this.collection, [
      { key: { position: 1 } },
      { key: { code: 1, position: 1 } },
      { key: { sourceTopic: 1, position: 1 } },
    ]);
  }

  /** Stores letters not stored yet; a letter read again (a redelivery) keeps what is stored, replay status included. */
  async index(letters: readonly NewDeadLetter[], now: number): Promise<void> {
    if (letters.length === 0) return;
    try {
      await this.collection.insertMany(
        letters.map((letter) => toDocument(letter, now)),
        { ordered: false },
      );
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
      const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors === undefined ? [] : [writeErrors]) as { code?: number }[];
      // Already stored (a redelivery): fine. Anything else is a real failure.
      if (list.length === 0 || list.some((entry) => entry.code !== 11000)) throw error;
    }
  }

  /** Letters in dead-letter topic order (partition, offset), after an optional cursor. */
  async list(filter: DeadLetterFilter, page: { limit: number; after?: string }): Promise<{ items: DeadLetterView[]; next: string | null }> {
    const query = toQuery(filter);
    const ranged = page.after === undefined ? query : { ...query, position: { $gt: decodeDeadLetterCursor(page.after) } };
    const docs = await this.collection
      .find(ranged)
      .sort({ position: 1 })
      .limit(page.limit + 1)
      .toArray();
    const items = docs.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map(toView), next: docs.length > page.limit && last !== undefined ? encodeCursor(last.position) : null };
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    return await this.collection.countDocuments(toQuery(filter));
  }

  async get(id: string): Promise<DeadLetterView | null> {
    const doc = await this.collection.findOne({ _id: id });
    return doc === null ? null : toView(doc);
  }

  /** What a filter selects now, in order: a replay works from this snapshot, not from a moving query. */
  async select(filter: DeadLetterFilter): Promise<{ id: string; replayed: boolean }[]> {
    const docs = await this.collection
      .find(toQuery(filter), { projection: { _id: 1, replayedAt: 1 } })
      .sort({ position: 1 })
      .toArray();
    return docs.map((doc) => ({ id: doc._id, replayed: doc.replayedAt !== null }));
  }

  async markReplayed(ids: readonly string[], at: number, by: string, correctedValue?: Buffer): Promise<void> {
    if (ids.length === 0) return;
    await this.collection.updateMany(
      { _id: { $in: [...ids] } },
      {
        $set: {
          replayedAt: at,
          replayedBy: by,
          ...(correctedValue === undefined ? {} : { correctedValue: correctedValue.toString('base64') }),
        },
        $inc: { replayCount: 1 },
      },
    );
  }
}

/** What a replay needs of a producer: kafkajs's `Producer` is one. */
export type DeadLetterProducer = Pick<Producer, 'send'>;

export interface ReplayDeps {
  readonly store: DeadLetterStore;
  readonly producer: DeadLetterProducer;
  readonly clock: () => number;
  /** When set, letters from other topics are skipped: a replay only ever writes to the worker's own inbound topics. */
  readonly sourceTopics?: readonly string[];
}

/** A replay that cannot be done as asked (a corrected value for a selection of other than one letter). */
export class ReplayRefusedError extends Error {
  override readonly name = 'ReplayRefusedError';
}

const REPLAY_CHUNK = 100;

function headersOf(letter: DeadLetterView, actor: string): Record<string, Buffer[]> {
  const headers: Record<string, Buffer[]> = {};
  for (const header of letter.headers) {
    if (header.name.startsWith(DLQ_HEADER_PREFIX)) continue;
    (headers[header.name] ??= []).push(Buffer.from(header.value, header.encoding));
  }
  headers[REPLAY_HEADERS.replayOf] = [Buffer.from(letter.id)];
  headers[REPLAY_HEADERS.replayedBy] = [Buffer.from(actor)];
  return headers;
}

/**
 * Sends the selected letters back to their source topics, in dead-letter order, with their original key, value
 * (or `options.value`, when exactly one letter is selected) and headers, plus `dlq.replay-of` and `dlq.replayed-by`;
 * then marks them replayed. Already-replayed letters are skipped unless `force`, and so are letters that cannot be
 * replayed (no source topic, a topic outside `deps.sourceTopics`, a value too large to have been kept).
 * A letter is marked after it is sent: a crash in between replays it again next time, which the worker
 * recognises as a duplicate (eventId), so a replay never applies an event twice.
 */
export async function replayDeadLetters(
  deps: ReplayDeps,
  filter: DeadLetterFilter,
  actor: string,
  options: { force?: boolean; value?: Buffer; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ replayed: number; skipped: number }> {
  // A snapshot: letters that fail again while this runs are new letters, not replayed in the same go.
  const selected = await deps.store.select(filter);
  if (options.value !== undefined && selected.length !== 1) {
    throw new ReplayRefusedError(`a corrected value replays exactly one dead letter; this selection has ${selected.length}`);
  }
  const force = options.force ?? false;
  const ids = selected.filter((letter) => force || !letter.replayed).map((letter) => letter.id);
  const allowed = deps.sourceTopics === undefined ? undefined : new Set(deps.sourceTopics);
  let replayed = 0;
  let skipped = selected.length - ids.length;
  for (let start = 0; start < ids.length; start += REPLAY_CHUNK) {
    const chunk = ids.slice(start, start + REPLAY_CHUNK);
    const { items } = await deps.store.list({ ids: chunk }, { limit: chunk.length });
    const byTopic = new Map<string, { key: string | null; value: Buffer | null; headers: Record<string, Buffer[]> }[]>();
    const sent: string[] = [];
    for (const letter of items) {
      const topic = letter.sourceTopic;
      const value = options.value ?? (letter.value === null ? null : Buffer.from(letter.value, 'base64'));
      const lost = value === null && letter.valueBytes !== null;
      if (topic === null || (allowed !== undefined && !allowed.has(topic)) || lost) {
        skipped++;
        continue;
      }
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key: letter.key, value, headers: headersOf(letter, actor) });
      byTopic.set(topic, messages);
      sent.push(letter.id);
    }
    for (const [topic, messages] of byTopic) await deps.producer.send({ topic, acks: -1, messages });
    await deps.store.markReplayed(sent, deps.clock(), actor, options.value);
    replayed += sent.length;
    options.onProgress?.(Math.min(start + chunk.length, ids.length), ids.length);
  }
  return { replayed, skipped };
}
