import { accessLevelOf, type Subscription } from '../domain';
import type { AuditDocument } from '../storage/audit.repository';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The public shape of a subscription: what `GET /v1/subscriptions/{id}` returns. */
export function subscriptionView(state: Subscription) {
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
          },
    updatedAt: iso(state.updatedAt),
  };
}

/** One audit line as the API and the CLI show it. */
export function auditView(record: AuditDocument) {
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
