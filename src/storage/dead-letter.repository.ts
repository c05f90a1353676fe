import type { Collection, Connection, mongo } from 'mongoose';

import { REPLAY_HEADERS } from '../contract/headers';
import { duplicateKeyIndexes } from './duplicate-key';
import { ensureIndexes } from './indexes';
import { mongoCall } from './mongo-errors';

export const DEAD_LETTERS = 'dead_letters';
/** How much of a value the listing shows as text. */
export const VALUE_PREVIEW_BYTES = 2_048;
/** Larger values are not kept (a MongoDB document holds 16 MB, and base64 adds a third); such a letter replays only with a corrected value. */
export const MAX_KEPT_VALUE_BYTES = 8 * 1024 * 1024;
/** Headers named so are the dead-letter topic's own, written only by the sink; they are not part of the original message. */
export const DLQ_HEADER_PREFIX = 'dlq.';
export { REPLAY_HEADERS };
const REPLAY_HEADER_PREFIX = 'replay.';

/** Whether a header is ours (the sink's or the replay's) rather than one of the original message's. */
export function isOwnHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(DLQ_HEADER_PREFIX) || lower.startsWith(REPLAY_HEADER_PREFIX);
}

/** One header of the original message; a header name sent twice gives two entries. Binary values are kept as base64. */
export interface DeadLetterHeader {
  readonly name: string;
  readonly value: string;
  /** `null`: the header was written with a null value (value is then ''), kept so a replay sends it back as null. */
  readonly encoding: 'utf8' | 'base64' | 'null';
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
  /** Set when the sink cut the letter to fit the topic (`dlq.truncated`): what was cut, and the original value's size and SHA-256. */
  readonly truncated?: { readonly parts: string; readonly valueBytes: number | null; readonly valueSha256: string | null } | null;
}

/** One operator's corrected value for a replay. */
export interface Correction {
  readonly actor: string;
  readonly at: number;
  /** base64 */
  readonly value: string;
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
  /** Every corrected value replayed, oldest first. */
  readonly corrections?: readonly Correction[];
}

/** What the API and the CLI show of a dead letter. Times are ISO 8601; `value` and `correctedValue` are base64. */
export interface DeadLetterView extends Omit<
  DeadLetterDocument,
  '_id' | 'position' | 'indexedAt' | 'failedAt' | 'replayedAt' | 'corrections' | 'truncated'
> {
  readonly id: string;
  readonly truncated: NonNullable<NewDeadLetter['truncated']> | null;
  readonly corrections: readonly (Omit<Correction, 'at'> & { readonly at: string })[];
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
  const truncated = letter.truncated ?? null;
  // A cut value or key is not the message that failed: such a letter replays only with a corrected value.
  const replayable = truncated === null || !/\b(value|key)\b/.test(truncated.parts);
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
    value: value === null || value.length > MAX_KEPT_VALUE_BYTES || !replayable ? null : value.toString('base64'),
    valueBytes: value === null ? null : (truncated?.valueBytes ?? value.length),
    // A cut may split a character; the preview is for reading, `value` is for replaying.
    valuePreview: value === null ? null : value.subarray(0, VALUE_PREVIEW_BYTES).toString('utf8'),
    headers: letter.headers,
    replayOf: letter.replayOf,
    truncated,
    indexedAt: now,
    replayedAt: null,
    replayedBy: null,
    replayCount: 0,
    correctedValue: null,
    corrections: [],
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
    truncated: doc.truncated ?? null,
    replayedAt: iso(doc.replayedAt),
    replayedBy: doc.replayedBy,
    replayCount: doc.replayCount,
    correctedValue: doc.correctedValue,
    corrections: (doc.corrections ?? []).map((correction) => ({ ...correction, at: iso(correction.at) ?? '' })),
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
    const linked = await this.checkedReplayLinks(letters);
    try {
      await this.collection.insertMany(
        linked.map((letter) => toDocument(letter, now)),
        { ordered: false },
      );
    } catch (error) {
      // Already stored (a redelivery): fine. Anything else is a real failure (rethrown).
      duplicateKeyIndexes(error, { op: 'insertMany', collection: DEAD_LETTERS, count: linked.length });
    }
  }

  /** A `replay.of` header is a producer's claim: kept only when it names a stored letter with the same key. */
  private async checkedReplayLinks(letters: readonly NewDeadLetter[]): Promise<NewDeadLetter[]> {
    const claimed = [...new Set(letters.flatMap((letter) => (letter.replayOf === null ? [] : [letter.replayOf])))].filter((id) =>
      DEAD_LETTER_ID.test(id),
    );
    const keys = new Map<string, string | null>();
    if (claimed.length > 0) {
      const docs = await mongoCall({ op: 'replayLinks', collection: DEAD_LETTERS }, () =>
        this.collection.find({ _id: { $in: claimed } }, { projection: { _id: 1, key: 1 } }).toArray(),
      );
      for (const doc of docs) keys.set(doc._id, doc.key);
    }
    return letters.map((letter) =>
      letter.replayOf !== null && keys.has(letter.replayOf) && keys.get(letter.replayOf) === letter.key
        ? letter
        : { ...letter, replayOf: null },
    );
  }

  /** Letters in dead-letter topic order (partition, offset), after an optional cursor. */
  async list(filter: DeadLetterFilter, page: { limit: number; after?: string }): Promise<{ items: DeadLetterView[]; next: string | null }> {
    const query = toQuery(filter);
    const ranged = page.after === undefined ? query : { ...query, position: { $gt: decodeDeadLetterCursor(page.after) } };
    const docs = await mongoCall({ op: 'list', collection: DEAD_LETTERS }, () =>
      this.collection
        .find(ranged)
        .sort({ position: 1 })
        .limit(page.limit + 1)
        .toArray(),
    );
    const items = docs.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map(toView), next: docs.length > page.limit && last !== undefined ? encodeCursor(last.position) : null };
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    return await mongoCall({ op: 'count', collection: DEAD_LETTERS }, () => this.collection.countDocuments(toQuery(filter)));
  }

  async get(id: string): Promise<DeadLetterView | null> {
    const doc = await mongoCall({ op: 'get', collection: DEAD_LETTERS, id }, () => this.collection.findOne({ _id: id }));
    return doc === null ? null : toView(doc);
  }

  /** What a filter selects now, in order: a replay works from this snapshot, not from a moving query. */
  async select(filter: DeadLetterFilter): Promise<{ id: string; replayed: boolean }[]> {
    const docs = await mongoCall({ op: 'select', collection: DEAD_LETTERS }, () =>
      this.collection
        .find(toQuery(filter), { projection: { _id: 1, replayedAt: 1 } })
        .sort({ position: 1 })
        .toArray(),
    );
    return docs.map((doc) => ({ id: doc._id, replayed: doc.replayedAt !== null }));
  }

  async markReplayed(ids: readonly string[], at: number, by: string, correctedValue?: Buffer): Promise<void> {
    if (ids.length === 0) return;
    const corrected = correctedValue?.toString('base64');
    await mongoCall({ op: 'markReplayed', collection: DEAD_LETTERS, count: ids.length }, () =>
      this.collection.updateMany(
        { _id: { $in: [...ids] } },
        {
          $set: { replayedAt: at, replayedBy: by, ...(corrected === undefined ? {} : { correctedValue: corrected }) },
          $inc: { replayCount: 1 },
          // Every correction is kept: the last one alone would let the next operator's overwrite who sent what.
          ...(corrected === undefined ? {} : { $push: { corrections: { actor: by, at, value: corrected } } }),
        },
      ),
    );
  }
}
