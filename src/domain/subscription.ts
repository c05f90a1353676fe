import type { ChainHead } from './audit-chain';
import type { SignedCertificate } from './certificate';

/** Why a subscription is suspended. Each reason is an independent hold; they stack. */
export const HOLD_REASONS = ['nonpayment', 'fraud', 'customer_request'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export const STATUSES = ['active', 'suspended', 'cancelled', 'deleted'] as const;
export type Status = (typeof STATUSES)[number];

export type AccessLevel = 'full' | 'admins-only' | 'none';

/** Epoch milliseconds. The domain never reads a clock; callers pass `now`. */
export type Millis = number;

export interface Hold {
  readonly reason: HoldReason;
  readonly since: Millis;
  /** Overdue invoice ids (nonpayment), open case ids (fraud), the request's ticket id if any (customer_request). */
  readonly refs: readonly string[];
}

export interface ScheduledReminder {
  /** The offset before deletion, as configured (for example `P7D`). */
  readonly offset: string;
  readonly at: Millis;
}

export interface DeletionProgress {
  readonly collection: string;
  /** Documents that matched before the delete ran; what a retry reports if it finds them already gone. */
  readonly matched: number;
  readonly deleted: number | null;
}

export interface DeletionTimer {
  /** Increments with every timer ever set on this subscription; it names the timer's jobs, so a late job of an old timer does nothing. */
  readonly generation: number;
  readonly dueAt: Millis;
  readonly scheduledAt: Millis;
  /** When the suspension or cancellation this deletion follows began (absent on timers stored before it was kept: `scheduledAt`). */
  readonly startedAt?: Millis;
  /** The tenant's policy version the timer was planned under (absent on timers stored before versions: 0, the environment's). */
  readonly policyVersion?: number;
  readonly reminders: readonly ScheduledReminder[];
  /** Set when the deletion job has claimed the deletion: from then on nothing can reactivate the subscription. */
  readonly claimedAt: Millis | null;
  readonly progress: readonly DeletionProgress[];
}

export interface LegalHold {
  readonly reason: string;
  readonly actor: string;
  readonly since: Millis;
}

export interface DeletionReceipt {
  readonly generation: number;
  /** When the deletion was due; `deletedAt` is never earlier. */
  readonly dueAt: Millis;
  readonly deletedAt: Millis;
  readonly collections: readonly { readonly collection: string; readonly deleted: number }[];
  /** The signed deletion certificate (certificate.ts); absent on tombstones from before certificates, or with no signing key. */
  readonly certificate?: SignedCertificate;
}

/**
 * Where an event sits in its source's log: a Kafka topic, partition and offset (a decimal string: offsets are 64-bit).
 * Two positions are ordered only within one topic and partition.
 */
export interface LogPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** What orders events for one hold entry (an invoice, a fraud case, the customer hold): see `decide`, "ordering". */
export interface EntryClock {
  readonly key: string;
  /** The latest `occurredAt` applied to the entry. */
  readonly at: Millis;
  /** The latest log position applied to the entry (a replay counts at its original's); absent on entries stored before it was kept. */
  readonly position?: LogPosition;
}

export interface Subscription {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly tenantId: string;
  readonly status: Status;
  readonly holds: readonly Hold[];
  readonly deletion: DeletionTimer | null;
  readonly legalHold: LegalHold | null;
  readonly cancelledAt: Millis | null;
  readonly deletedAt: Millis | null;
  readonly receipt: DeletionReceipt | null;
  readonly timerGeneration: number;
  /** Clocks of the open hold entries and of the last few closed ones, oldest first (memory.ts, `boundClocks`). */
  readonly entryClocks: readonly EntryClock[];
  /** Fingerprints of the most recent events applied, newest last, bounded by the policy's dedupe window (memory.ts). */
  readonly recentEvents: readonly string[];
  readonly createdAt: Millis;
  readonly updatedAt: Millis;
  /** The last link of its audit chain (audit-chain.ts), moved by the commit path; absent before its first chained record. */
  readonly auditHead?: ChainHead;
}

export function accessLevelOf(status: Status): AccessLevel {
  switch (status) {
    case 'active':
      return 'full';
    case 'suspended':
    case 'cancelled':
      return 'admins-only';
    case 'deleted':
      return 'none';
  }
}

export type Role = 'user' | 'admin';

/** The sign-in decision: users need full access, administrators keep access while suspended or cancelled. */
export function mayAccess(role: Role, level: AccessLevel): boolean {
  switch (level) {
    case 'full':
      return true;
    case 'admins-only':
      return role === 'admin';
    case 'none':
      return false;
  }
}

export function newSubscription(ids: { subscriptionId: string; customerId: string; tenantId: string }, now: Millis): Subscription {
  return {
    // Picked one by one: callers pass wider objects (a whole command), and nothing else of theirs belongs in the state.
    subscriptionId: ids.subscriptionId,
    customerId: ids.customerId,
    tenantId: ids.tenantId,
    status: 'active',
    holds: [],
    deletion: null,
    legalHold: null,
    cancelledAt: null,
    deletedAt: null,
    receipt: null,
    timerGeneration: 0,
    entryClocks: [],
    recentEvents: [],
    createdAt: now,
    updatedAt: now,
  };
}
