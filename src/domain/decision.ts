import type { Actor, InstructionType } from './command';
import type { Effect } from './effect';
import type { Millis, Status, Subscription } from './subscription';

/** applied: the state took the command (possibly with nothing to change); the rest changed nothing. */
export type Outcome = 'applied' | 'duplicate' | 'stale' | 'ignored' | 'rejected';

/** One line of the append-only audit trail: every command gets one, whatever its outcome. */
export interface AuditRecord {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly eventId: string;
  readonly type: InstructionType | 'deletion-job' | 'reminder-job';
  readonly occurredAt: Millis;
  readonly recordedAt: Millis;
  readonly actor: Actor;
  readonly outcome: Outcome;
  /** Why, in words an operator can read: `below-fraud-threshold`, `stale: ...`, or the changes made. */
  readonly reason: string;
  readonly statusBefore: Status | null;
  readonly statusAfter: Status | null;
  /** An operator's note, when the command came with one. */
  readonly note?: string;
}

export interface Decision {
  readonly outcome: Outcome;
  /** The new state; the one passed in when nothing was applied. `null` only when a command for an unseen subscription was rejected. */
  readonly state: Subscription | null;
  /** Whether `state` must be written (applied commands and newly seen subscriptions). */
  readonly changed: boolean;
  readonly effects: readonly Effect[];
  readonly audit: AuditRecord;
}
