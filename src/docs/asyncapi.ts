import { z } from 'zod';

import { consumers } from '../../consumers/routes';
import { DLQ_BATCH_HEADERS, DLQ_HEADERS, DLQ_TRUNCATION_HEADERS } from '../contract/headers';
import { ERROR_CODES } from '../errors';
import { typedEnvelope } from '../contract/envelope';
import { inboundExamples, lifecycleExamples } from '../contract/examples';
import { signedCertificateSchema } from '../contract/certificate';
import { lifecycleEnvelopeSchema } from '../contract/lifecycle';
import { TRACEPARENT, TRACESTATE } from '../tracing/trace-context';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  return z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
}

const schemaName = (type: string): string => type.replace(/[^A-Za-z0-9]+/g, '-');

/** One JSON Schema per inbound event type, generated from the same zod schemas the worker validates with. */
export function inboundSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const consumer of consumers) {
    for (const [type, handler] of Object.entries(consumer.events)) {
      out[type] = {
        $id: `urn:billing-enforcer:${schemaName(type)}:v1`,
        title: type,
        description: handler.description,
        ...jsonSchema(typedEnvelope(type, handler.data)),
      };
    }
  }
  return out;
}

/** The signed deletion certificate, as `subscription.data-deleted` carries it and `certificate verify` reads it. */
export function certificateSchema(): JsonSchema {
  return {
    $id: 'urn:billing-enforcer:deletion-certificate:v1',
    title: 'deletion certificate v1',
    description:
      'Ed25519 signature (base64url) over the UTF-8 bytes of the RFC 8785 canonical form of `certificate`; docs/deletion-proof.md says what it proves.',
    ...jsonSchema(signedCertificateSchema, 'output'),
  };
}

export function lifecycleSchema(): JsonSchema {
  return {
    $id: 'urn:billing-enforcer:subscription-lifecycle:v1',
    title: 'subscription.lifecycle.v1',
    ...jsonSchema(lifecycleEnvelopeSchema, 'output'),
  };
}

/** W3C Trace Context headers (docs/operations.md, "Tracing"). */
const TRACEPARENT_HEADER = {
  type: 'string',
  pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$',
  maxLength: 512,
};
const inboundTraceHeaders = {
  type: 'object',
  properties: {
    [TRACEPARENT]: {
      ...TRACEPARENT_HEADER,
      description:
        'Optional W3C traceparent: the event is processed in a span that is its child. A malformed, repeated or oversized one is ignored (a new trace), never a refusal.',
    },
    [TRACESTATE]: { type: 'string', maxLength: 512, description: 'Optional W3C tracestate, kept only with a valid traceparent.' },
  },
};

/** An AsyncAPI 3.0 document of every topic: what producers send us, what we publish, and the dead-letter headers. */
export function asyncApiDocument(): JsonSchema {
  const inbound = inboundSchemas();
  const channels: JsonSchema = {};
  const operations: JsonSchema = {};
  const messages: JsonSchema = {};
  for (const consumer of consumers) {
    const channelMessages: JsonSchema = {};
    for (const type of Object.keys(consumer.events)) {
      const name = schemaName(type);
      const example = inboundExamples[type];
      messages[name] = {
        name: type,
        contentType: 'application/json',
        headers: inboundTraceHeaders,
        payload: inbound[type],
        ...(example === undefined ? {} : { examples: [{ name: type, payload: example }] }),
      };
      channelMessages[name] = { $ref: `#/components/messages/${name}` };
    }
    channels[consumer.name] = {
      address: consumer.defaultTopic,
      description: `Configurable with ${consumer.topic}. Kafka key = subscriptionId.`,
      messages: channelMessages,
    };
    operations[`consume-${consumer.name}`] = { action: 'receive', channel: { $ref: `#/channels/${consumer.name}` } };
  }
  messages['subscription-lifecycle'] = {
    name: 'subscription.lifecycle.v1',
    contentType: 'application/json',
    headers: {
      type: 'object',
      properties: {
        'content-type': { type: 'string', const: 'application/json' },
        'event-type': { type: 'string', description: 'The envelope type, for routing without parsing.' },
        [TRACEPARENT]: {
          ...TRACEPARENT_HEADER,
          description:
            'While tracing is on: W3C traceparent of the span that caused the event (the inbound message, or the timer run), so a consumer can continue the trace.',
        },
      },
      required: ['content-type', 'event-type'],
    },
    payload: lifecycleSchema(),
    examples: Object.entries(lifecycleExamples).map(([type, payload]) => ({ name: type, payload })),
  };
  channels.lifecycle = {
    address: 'subscription.lifecycle.v1',
    description: 'Configurable with TOPIC_LIFECYCLE. Kafka key = subscriptionId; eventId is stable across redeliveries.',
    messages: { 'subscription-lifecycle': { $ref: '#/components/messages/subscription-lifecycle' } },
  };
  operations['publish-lifecycle'] = { action: 'send', channel: { $ref: '#/channels/lifecycle' } };
  messages['dead-letter'] = {
    name: 'dead-letter',
    description:
      'The original key, value and headers of a message that could not be applied, plus headers saying why. Inbound dlq.* headers are dropped.',
    headers: {
      type: 'object',
      properties: {
        [DLQ_HEADERS.topic]: { type: 'string' },
        [DLQ_HEADERS.partition]: { type: 'string' },
        [DLQ_HEADERS.offset]: { type: 'string' },
        [DLQ_HEADERS.code]: {
          type: 'string',
          enum: Object.entries(ERROR_CODES)
            .filter(([, { deadLetter }]) => deadLetter)
            .map(([code]) => code),
        },
        [DLQ_HEADERS.reason]: { type: 'string' },
        [DLQ_HEADERS.failedAt]: { type: 'string', format: 'date-time' },
        [DLQ_TRUNCATION_HEADERS.truncated]: {
          type: 'string',
          description: 'Only on a letter cut to fit the topic: what was cut (value, key, headers); the whole message is at dlq.source.*.',
        },
        [DLQ_TRUNCATION_HEADERS.valueBytes]: { type: 'string', description: 'The original value size in bytes, when cut.' },
        [DLQ_TRUNCATION_HEADERS.valueSha256]: { type: 'string', description: 'SHA-256 (hex) of the original value, when cut.' },
        [DLQ_BATCH_HEADERS.lastOffset]: {
          type: 'string',
          description:
            'Only on a letter holding a whole record batch the worker could not decode (BATCH_TOO_LARGE, BATCH_SKIPPED): the value is the raw batch in Kafka wire format, dlq.source.offset its base offset, this its last.',
        },
        [DLQ_BATCH_HEADERS.compression]: {
          type: 'string',
          description: "On a batch letter: the batch's codec (none, gzip, snappy, lz4, zstd, codec-N).",
        },
        [DLQ_BATCH_HEADERS.skippedBy]: { type: 'string', description: 'On a BATCH_SKIPPED letter: the operator who approved the skip.' },
        [DLQ_BATCH_HEADERS.skipReason]: { type: 'string', description: 'On a BATCH_SKIPPED letter: the reason they gave.' },
        [TRACEPARENT]: {
          ...TRACEPARENT_HEADER,
          description:
            "While tracing is on: the span that processed the message, replacing the producer's traceparent and tracestate (a replay joins that trace).",
        },
      },
      required: Object.values(DLQ_HEADERS),
    },
  };
  channels.dlq = {
    address: 'billing-enforcer.dlq.v1',
    description: 'Configurable with TOPIC_DLQ.',
    messages: { 'dead-letter': { $ref: '#/components/messages/dead-letter' } },
  };
  operations['publish-dead-letters'] = { action: 'send', channel: { $ref: '#/channels/dlq' } };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'billing-enforcer',
      version: '1.0.0',
      description:
        'Events that suspend, reactivate, cancel and delete customer subscriptions. Generated from the zod schemas in consumers/ and src/contract/; do not edit by hand.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

/** Every generated file, path relative to docs/contract/, with its text. */
export function contractFiles(): Record<string, string> {
  const text = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  const files: Record<string, string> = {
    'asyncapi.json': text(asyncApiDocument()),
    'subscription.lifecycle.v1.schema.json': text(lifecycleSchema()),
    'deletion-certificate.v1.schema.json': text(certificateSchema()),
  };
  for (const [type, schema] of Object.entries(inboundSchemas())) files[`${type}.v1.schema.json`] = text(schema);
  return files;
}
