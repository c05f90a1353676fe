import type { SignedCertificate } from './certificate';
import type { AccessLevel, Hold, HoldReason, Millis, ScheduledReminder, Status, Subscription } from './subscription';
import { accessLevelOf } from './subscription';

export const LIFECYCLE_EVENT_TYPES = [
  'subscription.suspended',
  'subscription.hold-added',
  'subscription.hold-lifted',
  'subscription.reactivated',
  'subscription.cancelled',
  'subscription.deletion-scheduled',
  'subscription.deletion-cancelled',
  'subscription.deletion-reminder',
  'subscription.data-deleted',
] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

/** What downstream systems learn about a subscription after a change; the adapter turns it into the outbound envelope. */
export interface LifecycleEvent {
  readonly type: LifecycleEventType;
  readonly occurredAt: Millis;
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly tenantId: string;
  readonly causationId: string;
  readonly status: Status;
  readonly accessLevel: AccessLevel;
  readonly holds: readonly Hold[];
  readonly deletionDueAt: Millis | null;
  /** Only on `subscription.hold-added` and `subscription.hold-lifted`: which hold. */
  readonly holdReason?: HoldReason;
  /** Only on `subscription.deletion-reminder`: the configured offset before deletion. */
  readonly reminderOffset?: string;
  /** Only on `subscription.data-deleted`: documents deleted per collection. */
  readonly deleted?: readonly { readonly collection: string; readonly deleted: number }[];
  /** Only on `subscription.data-deleted`, when the worker has a signing key: the signed deletion certificate. */
  readonly certificate?: SignedCertificate;
}

/** Side effects a decision asks the shell to carry out after the new state is durable. Each is idempotent. */
export type Effect =
  | {
      readonly kind: 'schedule-deletion';
      readonly subscriptionId: string;
      readonly generation: number;
      readonly dueAt: Millis;
      readonly reminders: readonly ScheduledReminder[];
    }
  | {
      readonly kind: 'cancel-deletion';
      readonly subscriptionId: string;
      readonly generation: number;
      readonly reminders: readonly ScheduledReminder[];
    }
  | { readonly kind: 'publish'; readonly event: LifecycleEvent };

export function lifecycleEvent(
  type: LifecycleEventType,
  state: Subscription,
  causationId: string,
  now: Millis,
  extra: Pick<LifecycleEvent, 'holdReason' | 'reminderOffset' | 'deleted' | 'certificate'> = {},
): Effect {
  return {
    kind: 'publish',
    event: {
      type,
      occurredAt: now,
      subscriptionId: state.subscriptionId,
      customerId: state.customerId,
      tenantId: state.tenantId,
      causationId,
      status: state.status,
      accessLevel: accessLevelOf(state.status),
      holds: state.holds,
      deletionDueAt: state.deletion?.dueAt ?? null,
      ...extra,
    },
  };
}
