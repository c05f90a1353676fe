import { z } from 'zod';

import { certificateDocument, signedCertificateSchema } from '../contract/certificate';
import { accessLevelOf, HOLD_REASONS, STATUSES, type Subscription } from '../domain';
import type { AuditDocument } from '../storage/audit.repository';

const iso = (ms: number): string => new Date(ms).toISOString();

// The views' return types are these schemas' outputs, so a field added to a view and not to its schema (or the other
// way round) fails the type check: the OpenAPI document (src/http/openapi.ts) cannot describe a shape we do not send.
export const isoTime = z.iso.datetime().describe('ISO 8601, UTC');
export const statusSchema = z.enum(STATUSES);
export const accessLevelSchema = z.enum(['full', 'admins-only', 'none']);
export const outcomeSchema = z.enum(['applied', 'duplicate', 'stale', 'ignored', 'rejected']);

export const subscriptionViewSchema = z
  .object({
    subscriptionId: z.string(),
    customerId: z.string(),
    tenantId: z.string(),
    status: statusSchema,
    accessLevel: accessLevelSchema,
    holds: z.array(z.object({ reason: z.enum(HOLD_REASONS), since: isoTime, refs: z.array(z.string()) })),
    deletion: z
      .object({
        dueAt: isoTime,
        reminders: z.array(z.object({ offset: z.string().describe('ISO 8601 duration before deletion, e.g. P7D'), at: isoTime })),
        inProgress: z.boolean(),
        policyVersion: z.number().int().describe('The tenant policy version the timer was planned under; 0: the environment default.'),
      })
      .nullable(),
    legalHold: z.object({ reason: z.string(), actor: z.string(), since: isoTime }).nullable(),
    cancelledAt: isoTime.nullable(),
    deletedAt: isoTime.nullable(),
    receipt: z
      .object({
        dueAt: isoTime,
        deletedAt: isoTime,
        collections: z.array(z.object({ collection: z.string(), deleted: z.number().int() })),
        certificate: signedCertificateSchema
          .nullable()
          .describe(
            'The signed deletion certificate: save it as a file and `certificate verify` it offline. Null before certificates or with no signing key.',
          ),
      })
      .nullable(),
    updatedAt: isoTime,
  })
  .meta({ id: 'Subscription' });

export const auditViewSchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    type: z.string(),
    occurredAt: isoTime,
    recordedAt: isoTime,
    actor: z.object({
      kind: z.enum(['system', 'operator']),
      id: z.string(),
      replayedBy: z.string().optional().describe('The operator who replayed the event from the dead letters, when it was replayed.'),
    }),
    outcome: outcomeSchema,
    reason: z.string(),
    statusBefore: statusSchema.nullable(),
    statusAfter: statusSchema.nullable(),
    note: z.string().optional(),
  })
  .meta({ id: 'AuditRecord' });

/** The public shape of a subscription: what `GET /v1/subscriptions/{id}` returns. */
export function subscriptionView(state: Subscription): z.output<typeof subscriptionViewSchema> {
  return {
    subscriptionId: state.subscriptionId,
    customerId: state.customerId,
    tenantId: state.tenantId,
    status: state.status,
    accessLevel: accessLevelOf(state.status),
    holds: state.holds.map((hold) => ({ reason: hold.reason, since: iso(hold.since), refs: [...hold.refs] })),
    deletion:
      state.deletion === null
        ? null
        : {
            dueAt: iso(state.deletion.dueAt),
            reminders: state.deletion.reminders.map((reminder) => ({ offset: reminder.offset, at: iso(reminder.at) })),
            inProgress: state.deletion.claimedAt !== null,
            // The tenant's policy version the timer was planned under (0: the environment's default).
            policyVersion: state.deletion.policyVersion ?? 0,
          },
    legalHold:
      state.legalHold === null ? null : { reason: state.legalHold.reason, actor: state.legalHold.actor, since: iso(state.legalHold.since) },
    cancelledAt: state.cancelledAt === null ? null : iso(state.cancelledAt),
    deletedAt: state.deletedAt === null ? null : iso(state.deletedAt),
    receipt:
      state.receipt === null
        ? null
        : {
            dueAt: iso(state.receipt.dueAt),
            deletedAt: iso(state.receipt.deletedAt),
            collections: state.receipt.collections.map((entry) => ({ ...entry })),
            // The signed deletion certificate, as issued: save it as a file and `certificate verify` it offline.
            certificate: state.receipt.certificate === undefined ? null : certificateDocument(state.receipt.certificate),
          },
    updatedAt: iso(state.updatedAt),
  };
}

/** One audit line as the API and the CLI show it. */
export function auditView(record: AuditDocument): z.output<typeof auditViewSchema> {
  return {
    id: record._id,
    eventId: record.eventId,
    type: record.type,
    occurredAt: iso(record.occurredAt),
    recordedAt: iso(record.recordedAt),
    actor: record.actor,
    outcome: record.outcome,
    reason: record.reason,
    statusBefore: record.statusBefore,
    statusAfter: record.statusAfter,
    ...(record.note === undefined ? {} : { note: record.note }),
  };
}
