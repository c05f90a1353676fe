import { z } from 'zod';

import { isWellFormedText, NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE } from '../control-characters';

/**
 * Every string of the contract starts here: well-formed Unicode. JSON's `"\ud800"` escape parses to a lone surrogate
 * in bytes that are valid UTF-8; stored, it becomes U+FFFD, so `inv-\ud800` and `inv-\ud801` would be one invoice.
 * Checked first, and alone: the field's other rules say nothing useful about such a string.
 */
export const text = () =>
  z.string().refine(isWellFormedText, { message: 'must be well-formed Unicode (no lone surrogate such as \\ud800)', abort: true });

/** subscriptionId, customerId and tenantId: safe as Kafka keys, BullMQ job ids and log fields. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const idSchema = text().regex(ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$');

/**
 * Upstream references (invoice, case, ticket ids, actor names): opaque text, stored as values only. Control (C0, C1),
 * format (invisible, bidi) and separator characters have no business in text we store, compare and echo to operators:
 * `INV-1` and `INV-1` + U+200B would be two invoices that look alike.
 */
export const refSchema = text().min(1).max(128).regex(NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE);

export const envelopeSchema = z.object({
  eventId: refSchema.describe('Idempotency key: an event whose id was already applied changes nothing.'),
  type: text().min(1).max(128).regex(NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE),
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
