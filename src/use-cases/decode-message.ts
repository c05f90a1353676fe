import type { z } from 'zod';

import type { EventConsumer } from '../../consumers/consumer';
import { envelopeSchema } from '../contract/envelope';
import { NO_UNSAFE_CHARACTERS } from '../control-characters';
import type { Command } from '../domain';
import { AppError } from '../errors';
import { headerValues, REPLAY_HEADERS } from '../contract/headers';
import type { InboundMessage } from '../kafka/inbound-message';

/** `type` is the envelope's type as sent (for metrics), or `unknown` when it could not be read: the message may be bad input. */
export type Decoded = ({ readonly ok: true; readonly command: Command } | { readonly ok: false; readonly error: AppError }) & {
  readonly type: string;
};

export interface DecoderOptions {
  /** Topic name to the consumer that owns it. */
  readonly routes: ReadonlyMap<string, EventConsumer>;
  readonly maxMessageBytes: number;
  readonly maxClockSkewMs: number;
}

const EARLIEST = Date.UTC(2000, 0, 1);
// Fatal: a lossy decoder turns every invalid byte into U+FFFD, so `ev-\xff` and `ev-\xfe` would become one id.
// ignoreBOM keeps a byte-order mark in the text, as Buffer#toString did: a key with one is not the subscriptionId.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of valid UTF-8 bytes, or null. */
function utf8(bytes: Buffer): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

const MAX_REASON = 2_000;

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  const text = issues.map((issue) => `${[...prefix, ...issue.path].map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

function fail(code: AppError['code'], message: string, type = 'unknown'): Decoded {
  return { ok: false, error: new AppError(code, message), type };
}

function typeOf(json: unknown): string {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  return typeof type === 'string' && type.length <= 64 ? type : 'unknown';
}

const MAX_DEPTH = 16;

/**
 * Field names with a dot or a leading `$` are never part of the contract and are how operator injection reaches a
 * database; nesting past any real message's depth is a parser attack. Either makes the message bad input.
 */
function unsafeKey(json: unknown): string | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: json, path: '', depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path, depth } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DEPTH) return `${path || '(root)'}: nested deeper than ${MAX_DEPTH} levels`;
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      if (key.includes('.') || key.startsWith('$'))
        return `${JSON.stringify(childPath.slice(0, 200))}: field names must not contain "." or start with "$"`;
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return null;
}

/** A header's first value as text, when it has one in UTF-8. */
function headerText(message: InboundMessage, name: string): string | null {
  const [first = null] = headerValues(message.headers[name]);
  return first === null ? null : typeof first === 'string' ? first : utf8(first);
}

/** The operator named by a replayed message's `replay.actor` header, when it is printable text; attribution only. */
function replayedBy(message: InboundMessage): { replayedBy: string } | Record<string, never> {
  const name = headerText(message, REPLAY_HEADERS.replayedBy);
  return name !== null && name.length > 0 && name.length <= 500 && NO_UNSAFE_CHARACTERS.test(name) ? { replayedBy: name } : {};
}

/**
 * Where the event sits in its source's log, which orders it within its hold entry: the message's own place, or for a
 * dead-letter replay (`replay.of`) its original's, from `replay.source.*` (none when those are missing or malformed).
 */
function placeOf(message: InboundMessage): Pick<Command, 'position' | 'replayed'> {
  if (headerText(message, REPLAY_HEADERS.replayOf) === null) {
    return { position: { topic: message.topic, partition: message.partition, offset: message.offset } };
  }
  const partition = headerText(message, REPLAY_HEADERS.sourcePartition);
  const offset = headerText(message, REPLAY_HEADERS.sourceOffset);
  if (partition === null || offset === null || !/^\d{1,9}$/.test(partition) || !/^\d{1,20}$/.test(offset)) return { replayed: true };
  return { replayed: true, position: { topic: message.topic, partition: Number(partition), offset } };
}

/** Bytes to a validated command, or the reason it cannot be one. Never throws. */
export function decodeMessage(message: InboundMessage, options: DecoderOptions, now: number): Decoded {
  const consumer = options.routes.get(message.topic);
  if (consumer === undefined) return fail('WRONG_TOPIC', `no consumer for topic ${message.topic}`);
  if (message.value === null || message.value.length === 0) return fail('MISSING_VALUE', 'message has no value');
  if (message.value.length > options.maxMessageBytes) {
    return fail(
      'MESSAGE_TOO_LARGE',
      `message is ${message.value.length} bytes; the limit is ${options.maxMessageBytes} (MAX_MESSAGE_BYTES)`,
    );
  }
  const text = utf8(message.value);
  if (text === null) return fail('INVALID_ENCODING', 'value is not valid UTF-8; it is dead-lettered as sent, not decoded lossily');
  const key = message.key === null ? undefined : utf8(message.key);
  if (key === null) return fail('INVALID_ENCODING', 'key is not valid UTF-8; it is dead-lettered as sent, not decoded lossily');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail('INVALID_JSON', `value is not JSON: ${(error as Error).message}`);
  }
  const rawType = typeOf(json);
  const unsafe = unsafeKey(json);
  if (unsafe !== null) return fail('SCHEMA_VIOLATION', unsafe, rawType);
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return fail('SCHEMA_VIOLATION', describeIssues(envelope.error.issues), rawType);
  const { type, data } = envelope.data;
  if (!Object.hasOwn(consumer.events, type)) {
    return fail(
      'UNKNOWN_EVENT_TYPE',
      `type ${JSON.stringify(type)} is not one of ${Object.keys(consumer.events).join(', ')} (topic ${message.topic})`,
      rawType,
    );
  }
  const handler = consumer.events[type];
  if (handler === undefined) return fail('UNKNOWN_EVENT_TYPE', `type ${JSON.stringify(type)} has no handler`, rawType);
  const parsedData = handler.data.safeParse(data);
  if (!parsedData.success) return fail('SCHEMA_VIOLATION', describeIssues(parsedData.error.issues, ['data']), rawType);

  if (key === undefined || key === '') return fail('MISSING_KEY', 'message has no key; the key must be the subscriptionId', rawType);
  if (key !== envelope.data.subscriptionId)
    return fail('KEY_MISMATCH', `key ${JSON.stringify(key.slice(0, 200))} is not the subscriptionId`, rawType);

  const occurredAt = Date.parse(envelope.data.occurredAt);
  if (!Number.isFinite(occurredAt) || occurredAt < EARLIEST || occurredAt > now + options.maxClockSkewMs) {
    return fail(
      'OCCURRED_AT_OUT_OF_RANGE',
      `occurredAt ${envelope.data.occurredAt} is before 2000 or further in the future than MAX_CLOCK_SKEW allows`,
      rawType,
    );
  }
  return {
    ok: true,
    type: rawType,
    command: {
      eventId: envelope.data.eventId,
      occurredAt,
      subscriptionId: envelope.data.subscriptionId,
      customerId: envelope.data.customerId,
      tenantId: envelope.data.tenantId,
      actor: { kind: 'system', id: consumer.name, ...replayedBy(message) },
      instruction: handler.toInstruction(parsedData.data),
      ...placeOf(message),
    },
  };
}
