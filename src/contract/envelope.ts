import { z } from 'zod';

import { NO_UNSAFE_CHARACTERS } from '../control-characters';

/** subscriptionId, customerId and tenantId: safe as Kafka keys, BullMQ job ids and log fields. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const idSchema = z.string().regex(ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$');

/**
 * Upstream references (invoice, case, ticket ids, actor names): opaque text, stored as values only. Control (C0, C1)
 * and bidi characters have no business in text we store and echo to operators.
 */
export const refSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(NO_UNSAFE_CHARACTERS, 'must not contain control or bidirectional-formatting characters');

export const envelopeSchema = z.object({
  eventId: refSchema.describe('Idempotency key: an event whose id was already applied changes nothing.'),
  type: z.string().min(1).max(128).regex(NO_UNSAFE_CHARACTERS, 'must not contain control or bidirectional-formatting characters'),
  occurredAt: z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp of when the fact happened upstream.'),
  subscriptionId: idSchema,
  customerId: idSchema,
  tenantId: idSchema,
  data: z.unknown(),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/** The envelope of one event type, for the published contract. */
export function typedEnvelope<T extends string, D extends z.ZodType>(type: T, data: D) {
  return envelopeSchema.extend({ type: z.literal(type), data });
}
