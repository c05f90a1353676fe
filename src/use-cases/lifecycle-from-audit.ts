import type { AuditRecord, LifecycleEventType } from '../domain';

export interface ProducedEvent {
  readonly type: LifecycleEventType;
  readonly at: number;
  /** The audit record's event id: the lifecycle event's `causationId`. */
  readonly causationId: string;
  readonly detail?: string;
}

/** Which lifecycle event each change word of an applied decision's audit reason published (see src/domain/decide.ts). */
const PUBLISHED_BY: Readonly<Record<string, LifecycleEventType>> = {
  suspended: 'subscription.suspended',
  'hold-added': 'subscription.hold-added',
  'hold-lifted': 'subscription.hold-lifted',
  reactivated: 'subscription.reactivated',
  cancelled: 'subscription.cancelled',
  'deletion-scheduled': 'subscription.deletion-scheduled',
  'deletion-rescheduled': 'subscription.deletion-scheduled',
  'deletion-cancelled': 'subscription.deletion-cancelled',
};

/**
 * The lifecycle events a subscription's decisions produced, read back from its audit trail rather than from the
 * lifecycle topic (which has no index by subscription: finding them there means reading every partition). Every
 * published event comes from an applied decision whose audit reason names the change, in the order they were published.
 */
export function lifecycleEventsOf(trail: readonly AuditRecord[]): ProducedEvent[] {
  return trail.flatMap((record): ProducedEvent[] => {
    if (record.outcome !== 'applied') return [];
    const base = { at: record.recordedAt, causationId: record.eventId };
    if (record.type === 'reminder-job')
      return [{ ...base, type: 'subscription.deletion-reminder', detail: record.reason.replace(/^deletion-reminder\s*/, '') }];
    // A re-plan that moved the date announced it (tenant-policies.ts); one that kept the date published nothing.
    if (record.type === 'policy-replan') {
      const [, from, to] = /deletion (\S+) -> (\S+?),?(?: |$)/.exec(record.reason) ?? [];
      return from !== undefined && from !== to ? [{ ...base, type: 'subscription.deletion-scheduled', detail: `policy: ${to ?? ''}` }] : [];
    }
    if (record.type === 'deletion-job') return record.reason === 'data-deleted' ? [{ ...base, type: 'subscription.data-deleted' }] : [];
    return record.reason.split('; ').flatMap((change): ProducedEvent[] => {
      const [word = '', detail] = change.split(':');
      const type = PUBLISHED_BY[word];
      return type === undefined ? [] : [{ ...base, type, ...(detail === undefined ? {} : { detail }) }];
    });
  });
}
