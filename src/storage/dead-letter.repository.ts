import type { Producer } from 'kafkajs';
import type { Collection, Connection, mongo } from 'mongoose';

import { AppError } from '../errors';
import { REPLAY_HEADERS } from '../contract/headers';
import { duplicateKeyIndexes } from './duplicate-key';
import { ensureIndexes } from './indexes';
import { mongoCall } from './mongo-errors';
import { checkCorrection } from '../contract/replay-correction';

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

/** What a replay needs of a producer: kafkajs's `Producer` is one. */
export type DeadLetterProducer = Pick<Producer, 'send'>;

export interface ReplayDeps {
  readonly store: DeadLetterStore;
  readonly producer: DeadLetterProducer;
  readonly clock: () => number;
  /** When set, letters from other topics are skipped: a replay only ever writes to the worker's own inbound topics. */
  readonly sourceTopics?: readonly string[];
  /**
   * Bytes of keys, values and headers per produce request. Letters of one key share a partition batch, which the
   * topic caps (`max.message.bytes`, 1 MB by default): more than this is split over requests, and a letter larger
   * than this alone is sent alone, so it fails alone.
   */
  readonly maxSendBytes?: number;
}

/** A replay that cannot be done as asked: `selection` (a corrected value for other than one letter) or `correction` (it changes the event). */
export class ReplayRefusedError extends AppError {
  override readonly name: string = 'ReplayRefusedError';

  constructor(
    message: string,
    readonly kind: 'selection' | 'correction' = 'selection',
  ) {
    super('REFUSED', message);
  }
}

export interface ReplayResult {
  readonly replayed: number;
  readonly skipped: number;
  /** Letters the broker refused (too large for the topic, say): not marked replayed, each with why. */
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

const REPLAY_CHUNK = 100;
const MAX_SEND_BYTES = 1_000_000;

interface Outgoing {
  readonly id: string;
  readonly topic: string;
  readonly bytes: number;
  readonly message: { key: string | null; value: Buffer | null; headers: Record<string, (Buffer | null)[]> };
}

/** Where an event first sat in its source topic. */
interface Origin {
  readonly partition: number;
  readonly offset: string;
}

/** Replays that failed again, followed back at most this far to the message that first failed. */
const MAX_REPLAY_CHAIN = 16;

/**
 * Where a letter's event first sat in its source topic: the letter's own source place, or, for a replay that failed
 * again, that of the letter it replayed, and so on. Null when a link is missing or points at another topic.
 */
async function originOf(store: Pick<DeadLetterStore, 'get'>, letter: DeadLetterView): Promise<Origin | null> {
  let current: DeadLetterView | null = letter;
  for (let hops = 0; current !== null && hops < MAX_REPLAY_CHAIN; hops++) {
    if (current.sourceTopic !== letter.sourceTopic) return null;
    if (current.replayOf === null) {
      const { sourcePartition: partition, sourceOffset: offset } = current;
      return partition === null || offset === null ? null : { partition, offset };
    }
    current = await store.get(current.replayOf);
  }
  return null;
}

function headersOf(letter: DeadLetterView, actor: string, origin: Origin | null): Record<string, (Buffer | null)[]> {
  const headers: Record<string, (Buffer | null)[]> = {};
  for (const header of letter.headers) {
    if (isOwnHeader(header.name)) continue;
    (headers[header.name] ??= []).push(header.encoding === 'null' ? null : Buffer.from(header.value, header.encoding));
  }
  headers[REPLAY_HEADERS.replayOf] = [Buffer.from(letter.id)];
  headers[REPLAY_HEADERS.replayedBy] = [Buffer.from(actor)];
  if (origin !== null) {
    headers[REPLAY_HEADERS.sourcePartition] = [Buffer.from(String(origin.partition))];
    headers[REPLAY_HEADERS.sourceOffset] = [Buffer.from(origin.offset)];
  }
  return headers;
}

function sizeOf(message: Outgoing['message']): number {
  let bytes = (message.key === null ? 0 : Buffer.byteLength(message.key)) + (message.value?.length ?? 0);
  for (const [name, values] of Object.entries(message.headers))
    for (const value of values) bytes += Buffer.byteLength(name) + (value?.length ?? 0);
  return bytes;
}

/** Groups by topic, then into requests of at most `maxBytes` (a larger letter makes a request of its own). */
function requests(outgoing: readonly Outgoing[], maxBytes: number): Outgoing[][] {
  const byTopic = new Map<string, Outgoing[]>();
  for (const item of outgoing) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item]);
  const out: Outgoing[][] = [];
  for (const items of byTopic.values()) {
    let request: Outgoing[] = [];
    let bytes = 0;
    for (const item of items) {
      if (request.length > 0 && bytes + item.bytes > maxBytes) {
        out.push(request);
        request = [];
        bytes = 0;
      }
      request.push(item);
      bytes += item.bytes;
    }
    if (request.length > 0) out.push(request);
  }
  return out;
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);

/**
 * Sends the selected letters back to their source topics, in dead-letter order, with their original key, value
 * (or `options.value`, when exactly one letter is selected) and headers, plus `replay.of`, `replay.actor` and, where
 * known, `replay.source.partition` and `replay.source.offset` (the place the event first failed at).
 * Already-replayed letters are skipped unless `force`, and so are letters that cannot be replayed (no source topic, a
 * topic outside `deps.sourceTopics`, a value too large to have been kept or cut to fit the dead-letter topic).
 * A corrected value may only change what failed validation: it keeps the letter's eventId, type, subscriptionId,
 * tenantId and customerId, or the replay is refused (`ReplayRefusedError`, kind `correction`).
 * Requests stay within `deps.maxSendBytes`; each request's letters are marked replayed as soon as it is sent, and a
 * request the broker refuses is retried one letter at a time, so one bad letter fails alone, reported in `failed`.
 * A crash between sending and marking replays a letter again next time, which the worker recognises as a duplicate
 * (eventId), so a replay never applies an event twice.
 */
export async function replayDeadLetters(
  deps: ReplayDeps,
  filter: DeadLetterFilter,
  actor: string,
  options: { force?: boolean; value?: Buffer; onProgress?: (done: number, total: number) => void } = {},
): Promise<ReplayResult> {
  // A snapshot: letters that fail again while this runs are new letters, not replayed in the same go.
  const selected = await deps.store.select(filter);
  if (options.value !== undefined && selected.length !== 1) {
    throw new ReplayRefusedError(`a corrected value replays exactly one dead letter; this selection has ${selected.length}`);
  }
  const force = options.force ?? false;
  const ids = selected.filter((letter) => force || !letter.replayed).map((letter) => letter.id);
  const allowed = deps.sourceTopics === undefined ? undefined : new Set(deps.sourceTopics);
  const maxBytes = deps.maxSendBytes ?? MAX_SEND_BYTES;
  let replayed = 0;
  let skipped = selected.length - ids.length;
  const failed: { id: string; error: string }[] = [];

  /** Sends one request and marks its letters; a broker refusal is returned, a store failure thrown (nothing more is sent). */
  const send = async (request: readonly Outgoing[]): Promise<unknown> => {
    const [first] = request;
    if (first === undefined) return null;
    try {
      await deps.producer.send({ topic: first.topic, acks: -1, messages: request.map((item) => item.message) });
    } catch (error) {
      return error ?? new Error('send failed');
    }
    await deps.store.markReplayed(
      request.map((item) => item.id),
      deps.clock(),
      actor,
      options.value,
    );
    replayed += request.length;
    return null;
  };

  for (let start = 0; start < ids.length; start += REPLAY_CHUNK) {
    const chunk = ids.slice(start, start + REPLAY_CHUNK);
    const { items } = await deps.store.list({ ids: chunk }, { limit: chunk.length });
    const outgoing: Outgoing[] = [];
    for (const letter of items) {
      const topic = letter.sourceTopic;
      const original = letter.value === null ? null : Buffer.from(letter.value, 'base64');
      if (options.value !== undefined) {
        const refused = checkCorrection(original ?? letter.valuePreview, options.value);
        if (refused !== null) throw new ReplayRefusedError(`the corrected value ${refused}`, 'correction');
      }
      const value = options.value ?? original;
      const lost = value === null && letter.valueBytes !== null;
      if (topic === null || (allowed !== undefined && !allowed.has(topic)) || lost) {
        skipped++;
        continue;
      }
      const message = { key: letter.key, value, headers: headersOf(letter, actor, await originOf(deps.store, letter)) };
      outgoing.push({ id: letter.id, topic, bytes: sizeOf(message), message });
    }
    for (const request of requests(outgoing, maxBytes)) {
      const refused = await send(request);
      if (refused === null) continue;
      // Which letter did the broker refuse? Each on its own: the others still go, marked as they go.
      for (const item of request.length === 1 ? [] : request) {
        const itemRefused = await send([item]);
        if (itemRefused !== null) failed.push({ id: item.id, error: describe(itemRefused) });
      }
      if (request.length === 1) failed.push({ id: request[0]?.id ?? '', error: describe(refused) });
    }
    options.onProgress?.(Math.min(start + chunk.length, ids.length), ids.length);
  }
  return { replayed, skipped, failed };
}
