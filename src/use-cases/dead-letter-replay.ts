import type { Producer } from 'kafkajs';

import { REPLAY_HEADERS } from '../contract/headers';
import { checkCorrection } from '../contract/replay-correction';
import { AppError } from '../errors';
import { isOwnHeader, type DeadLetterFilter, type DeadLetterStore, type DeadLetterView } from '../storage/dead-letter.repository';
import { decodeMessage, type DecoderOptions } from './decode-message';

// Dead-letter replay has this one home: the API, the console and both CLI modes (direct, and through the API) run
// `replayRequest`; the repository only reads letters and marks them replayed.

export interface ReplayRequestDeps {
  readonly store: DeadLetterStore;
  readonly producer: DeadLetterProducer;
  readonly clock: () => number;
  /** How the worker decodes its inbound topics; its routes are the only topics a replay may write to. */
  readonly decoder: DecoderOptions;
}

export interface ReplayRequest {
  readonly ids?: readonly string[];
  readonly filter?: Omit<DeadLetterFilter, 'ids'>;
  readonly force: boolean;
  /** A corrected value (JSON text or its bytes) for exactly one letter. */
  readonly value?: string | Buffer;
  readonly actor: string;
  /** Called after each chunk of letters is sent (the CLI's progress bar). */
  readonly onProgress?: (done: number, total: number) => void;
}

export type ReplayAnswer =
  | ({ readonly ok: true } & ReplayResult)
  | { readonly ok: false; readonly status: 400 | 404 | 422; readonly path: readonly PropertyKey[]; readonly message: string };

type Refusal = Extract<ReplayAnswer, { ok: false }>;

const selectionMessage = (count: number): string => `a corrected value replays exactly one dead letter; this selection has ${count}`;

/**
 * A corrected value is decoded as the worker would decode it on the letter's source topic, so a value that would be
 * dead-lettered again is refused here instead. Null: the correction may go.
 */
async function checkCorrected(deps: ReplayRequestDeps, selection: DeadLetterFilter, corrected: Buffer): Promise<Refusal | null> {
  const selected = await deps.store.select(selection);
  const [only] = selected;
  if (only === undefined || selected.length !== 1)
    return { ok: false, status: 400, path: ['body'], message: selectionMessage(selected.length) };
  const letter = await deps.store.get(only.id);
  if (letter?.sourceTopic == null)
    return { ok: false, status: 400, path: ['body', 'ids', 0], message: 'this letter has no source topic to replay to' };
  const verdict = decodeMessage(
    {
      topic: letter.sourceTopic,
      partition: letter.sourcePartition ?? 0,
      offset: letter.sourceOffset ?? '0',
      timestamp: String(deps.clock()),
      key: letter.key === null ? null : Buffer.from(letter.key, 'utf8'),
      value: corrected,
      headers: {},
    },
    deps.decoder,
    deps.clock(),
  );
  if (verdict.ok) return null;
  return {
    ok: false,
    status: 400,
    path: ['body', 'value'],
    message: `would be dead-lettered again (${verdict.error.code}): ${verdict.error.message}`,
  };
}

/**
 * One operator's replay, for the API, the console and the CLI alike: named letters must exist, a corrected value
 * replays exactly one letter and is decoded as the worker would decode it (refused if it would be dead-lettered
 * again, or if it changes the event), and letters go only to the worker's inbound topics.
 */
export async function replayRequest(deps: ReplayRequestDeps, request: ReplayRequest): Promise<ReplayAnswer> {
  const { ids, filter, force, value, actor, onProgress } = request;
  const selection: DeadLetterFilter = { ...filter, ...(ids === undefined ? {} : { ids }) };
  if (ids !== undefined) {
    const found = new Set((await deps.store.select({ ids })).map((letter) => letter.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) return { ok: false, status: 404, path: ['body', 'ids'], message: `no dead letter ${missing.join(', ')}` };
  }
  const corrected = value === undefined ? undefined : typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (corrected !== undefined) {
    const refused = await checkCorrected(deps, selection, corrected);
    if (refused !== null) return refused;
  }
  try {
    const result = await replayDeadLetters(
      { store: deps.store, producer: deps.producer, clock: deps.clock, sourceTopics: [...deps.decoder.routes.keys()] },
      selection,
      actor,
      { force, ...(corrected === undefined ? {} : { value: corrected }), ...(onProgress === undefined ? {} : { onProgress }) },
    );
    return { ok: true, ...result };
  } catch (error) {
    // A correction that changes the event's identity is well-formed but refused (finding 5 of issue 11): 422.
    if (error instanceof ReplayRefusedError && error.kind === 'correction')
      return { ok: false, status: 422, path: ['body', 'value'], message: error.message };
    if (error instanceof ReplayRefusedError) return { ok: false, status: 400, path: ['body'], message: error.message };
    throw error;
  }
}

/** What a replay needs of a producer: kafkajs's `Producer` is one. */
export type DeadLetterProducer = Pick<Producer, 'send'>;

interface ReplayDeps {
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
 * The sending under `replayRequest`'s checks; operators never call it directly. Sends the selected letters back to
 * their source topics, in dead-letter order, with their original key, value
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
async function replayDeadLetters(
  deps: ReplayDeps,
  filter: DeadLetterFilter,
  actor: string,
  options: { force?: boolean; value?: Buffer; onProgress?: (done: number, total: number) => void } = {},
): Promise<ReplayResult> {
  // A snapshot: letters that fail again while this runs are new letters, not replayed in the same go.
  const selected = await deps.store.select(filter);
  if (options.value !== undefined && selected.length !== 1) {
    throw new ReplayRefusedError(selectionMessage(selected.length));
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
