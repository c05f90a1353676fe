import { z } from 'zod';

import { HOLD_REASONS, LIFECYCLE_EVENT_TYPES, STATUSES, type LifecycleEvent } from '../domain';
import { certificateDocument, signedCertificateSchema } from './certificate';
import { envelopeSchema } from './envelope';

const iso = (ms: number): string => new Date(ms).toISOString();

export const lifecycleDataSchema = z.object({
  status: z.enum(STATUSES),
  accessLevel: z.enum(['full', 'admins-only', 'none']),
  holds: z.array(z.object({ reason: z.enum(HOLD_REASONS), since: z.iso.datetime(), refs: z.array(z.string()) })),
  deletionDueAt: z.iso.datetime().nullable(),
  causationId: z.string().describe('The eventId (or timer job id) that caused this event.'),
  holdReason: z.enum(HOLD_REASONS).optional().describe('On hold-added and hold-lifted: which hold.'),
  reminderOffset: z.string().optional().describe('On deletion-reminder: the configured offset before deletion, e.g. P7D.'),
  deleted: z
    .array(z.object({ collection: z.string(), deleted: z.number().int().nonnegative() }))
    .optional()
    .describe('On data-deleted: documents deleted per collection.'),
  certificate: signedCertificateSchema
    .optional()
    .describe('On data-deleted: the signed deletion certificate (absent when the worker has no signing key).'),
});

export const lifecycleEnvelopeSchema = envelopeSchema.extend({ type: z.enum(LIFECYCLE_EVENT_TYPES), data: lifecycleDataSchema });
export type LifecycleEnvelope = z.infer<typeof lifecycleEnvelopeSchema>;

/** The outbound message for a domain lifecycle event; `eventId` is the outbox entry's stable id. */
export function lifecycleEnvelope(eventId: string, event: LifecycleEvent): LifecycleEnvelope {
  return {
    eventId,
    type: event.type,
    occurredAt: iso(event.occurredAt),
    subscriptionId: event.subscriptionId,
    customerId: event.customerId,
    tenantId: event.tenantId,
    data: {
      status: event.status,
      accessLevel: event.accessLevel,
      holds: event.holds.map((hold) => ({ reason: hold.reason, since: iso(hold.since), refs: [...hold.refs] })),
      deletionDueAt: event.deletionDueAt === null ? null : iso(event.deletionDueAt),
      causationId: event.causationId,
      ...(event.holdReason === undefined ? {} : { holdReason: event.holdReason }),
      ...(event.reminderOffset === undefined ? {} : { reminderOffset: event.reminderOffset }),
      ...(event.deleted === undefined ? {} : { deleted: event.deleted.map((entry) => ({ ...entry })) }),
      ...(event.certificate === undefined ? {} : { certificate: certificateDocument(event.certificate) }),
    },
  };
}
