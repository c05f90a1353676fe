import type { ChainLink } from './audit-chain';
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
  readonly type: InstructionType | 'deletion-job' | 'reminder-job' | 'policy-replan';
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
  /** Its place in the subscription's hash chain (audit-chain.ts), given by the commit path; absent on records from before the chain. */
  readonly chain?: ChainLink;
}

/**
 * Why a command is refused (outcome `rejected`): each is an error code of the same name in src/errors.ts, the code its
 * dead letter carries.
 */
export type RejectionCode = 'IDENTITY_MISMATCH';

interface DecisionFields {
  /** The new state; the one passed in when nothing was applied. `null` only when a command for an unseen subscription was rejected. */
  readonly state: Subscription | null;
  /** Whether `state` must be written (applied commands and newly seen subscriptions). */
  readonly changed: boolean;
  readonly effects: readonly Effect[];
  readonly audit: AuditRecord;
}

/** What the state machine decided; a rejection always says why (`rejection`), in a code callers can act on. */
export type Decision = DecisionFields &
  (
    | { readonly outcome: Exclude<Outcome, 'rejected'>; readonly rejection?: never }
    | { readonly outcome: 'rejected'; readonly rejection: RejectionCode }
  );
