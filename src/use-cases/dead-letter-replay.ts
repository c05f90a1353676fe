import { decodeMessage, type DecoderOptions } from './decode-message';
import {
  ReplayRefusedError,
  replayDeadLetters,
  type DeadLetterFilter,
  type DeadLetterProducer,
  type DeadLetterStore,
} from '../storage/dead-letter.repository';

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
  /** A corrected value (JSON text) for exactly one letter. */
  readonly value?: string;
  readonly actor: string;
}

export type ReplayAnswer =
  | {
      readonly ok: true;
      readonly replayed: number;
      readonly skipped: number;
      readonly failed: readonly { readonly id: string; readonly error: string }[];
    }
  | { readonly ok: false; readonly status: 400 | 404 | 422; readonly path: readonly PropertyKey[]; readonly message: string };

/**
 * One operator's replay, for the API and the console alike: named letters must exist, and a corrected value is
 * decoded as the worker would decode it, so a value that would be dead-lettered again is refused here instead.
 */
export async function replayRequest(deps: ReplayRequestDeps, request: ReplayRequest): Promise<ReplayAnswer> {
  const { ids, filter, force, value, actor } = request;
  const selection: DeadLetterFilter = { ...filter, ...(ids === undefined ? {} : { ids }) };
  if (ids !== undefined) {
    const found = new Set((await deps.store.select({ ids })).map((letter) => letter.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) return { ok: false, status: 404, path: ['body', 'ids'], message: `no dead letter ${missing.join(', ')}` };
  }
  const corrected = value === undefined ? undefined : Buffer.from(value, 'utf8');
  const [onlyId] = ids ?? [];
  if (corrected !== undefined && onlyId !== undefined) {
    const letter = await deps.store.get(onlyId);
    const verdict =
      letter?.sourceTopic == null
        ? null
        : decodeMessage(
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
    if (verdict === null)
      return { ok: false, status: 400, path: ['body', 'ids', 0], message: 'this letter has no source topic to replay to' };
    if (!verdict.ok) {
      return {
        ok: false,
        status: 400,
        path: ['body', 'value'],
        message: `would be dead-lettered again (${verdict.error.code}): ${verdict.error.message}`,
      };
    }
  }
  try {
    const result = await replayDeadLetters(
      { store: deps.store, producer: deps.producer, clock: deps.clock, sourceTopics: [...deps.decoder.routes.keys()] },
      selection,
      actor,
      { force, ...(corrected === undefined ? {} : { value: corrected }) },
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
