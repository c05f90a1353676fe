import type { SignedCertificate } from './certificate';
import type { AuditRecord } from './decision';
import { lifecycleEvent, type Effect } from './effect';
import type { DeletionProgress, DeletionTimer, Millis, Subscription } from './subscription';
import { nextWake, reminderAt } from './timer';

/** Why a deletion or reminder job that fired does nothing. */
export type TimerSkipReason = 'not-found' | 'deleted' | 'stale-timer' | 'active' | 'not-due' | 'legal-hold' | 'claimed';

export type ClaimResult =
  | { readonly ok: true; readonly state: Subscription; readonly alreadyClaimed: boolean }
  | { readonly ok: false; readonly reason: TimerSkipReason; readonly dueAt?: Millis };

/**
 * May the deletion job for timer `generation` delete this subscription's data now? If so, the claimed state.
 * The claim is the point of no return: once written, no event can reactivate the subscription.
 */
export function claimDeletion(state: Subscription | null, generation: number, now: Millis): ClaimResult {
  const skip = timerSkipReason(state, generation);
  if (skip !== null) return { ok: false, reason: skip };
  const timer = state?.deletion;
  if (state == null || timer == null) return { ok: false, reason: 'stale-timer' };
  if (timer.claimedAt !== null) return { ok: true, state, alreadyClaimed: true };
  if (state.legalHold !== null) return { ok: false, reason: 'legal-hold' };
  if (now < timer.dueAt) return { ok: false, reason: 'not-due', dueAt: timer.dueAt };
  return { ok: true, state: { ...state, deletion: { ...timer, claimedAt: now }, updatedAt: now }, alreadyClaimed: false };
}

function timerSkipReason(state: Subscription | null, generation: number): TimerSkipReason | null {
  if (state === null) return 'not-found';
  if (state.status === 'deleted') return 'deleted';
  if (state.deletion?.generation !== generation) return 'stale-timer';
  if (state.status === 'active') return 'active';
  return null;
}

/** Records how one collection's delete went, so a retry after a crash reports the right counts. */
export function recordProgress(state: Subscription, progress: DeletionProgress, now: Millis): Subscription {
  const timer = state.deletion;
  if (timer === null) return state;
  const others = timer.progress.filter((entry) => entry.collection !== progress.collection);
  return { ...state, deletion: { ...timer, progress: [...others, progress] }, updatedAt: now };
}

/**
 * The tombstone: ids, status and receipt stay; holds, refs and event history (which name invoices and cases) go. The
 * certificate, when there is one, is stored in the receipt and travels with `subscription.data-deleted`.
 */
export function completeDeletion(
  state: Subscription,
  jobId: string,
  now: Millis,
  certificate: SignedCertificate | null = null,
): { state: Subscription; effects: readonly Effect[] } {
  const timer = state.deletion;
  const collections = (timer?.progress ?? []).map((entry) => ({ collection: entry.collection, deleted: entry.deleted ?? entry.matched }));
  const deleted: Subscription = {
    ...state,
    status: 'deleted',
    holds: [],
    deletion: null,
    legalHold: null,
    entryClocks: [],
    recentEvents: [],
    deletedAt: now,
    receipt: {
      generation: timer?.generation ?? state.timerGeneration,
      dueAt: timer?.dueAt ?? now,
      deletedAt: now,
      collections,
      ...(certificate === null ? {} : { certificate }),
    },
    updatedAt: now,
  };
  const extra = certificate === null ? { deleted: collections } : { deleted: collections, certificate };
  return { state: deleted, effects: [lifecycleEvent('subscription.data-deleted', deleted, jobId, now, extra)] };
}

export interface EarlyWake {
  /** The reminder whose moment has come, and the lifecycle event that tells downstream systems; null when none is due. */
  readonly reminder: { readonly offset: string; readonly effect: Effect } | null;
  /** When the job should wake next. */
  readonly nextAt: Millis;
}

/**
 * A timer job that wakes before its deletion is due (claimDeletion said not-due, so the timer is current, unclaimed and
 * free of legal hold) sends the reminder whose moment has come, then sleeps until the next reminder or the deletion.
 */
export function wakeBeforeDue(state: Subscription, timer: DeletionTimer, jobId: string, now: Millis): EarlyWake {
  const due = reminderAt(timer, now);
  const reminder =
    due === null
      ? null
      : { offset: due.offset, effect: lifecycleEvent('subscription.deletion-reminder', state, jobId, now, { reminderOffset: due.offset }) };
  return { reminder, nextAt: nextWake(timer, now) };
}

/** An audit line for what a timer job did. */
export function timerAudit(
  state: Subscription | null,
  subscriptionId: string,
  kind: 'deletion-job' | 'reminder-job' | 'policy-replan',
  jobId: string,
  now: Millis,
  outcome: AuditRecord['outcome'],
  reason: string,
  after: Subscription | null = state,
): AuditRecord {
  return {
    subscriptionId,
    tenantId: state?.tenantId ?? '',
    eventId: jobId,
    type: kind,
    occurredAt: now,
    recordedAt: now,
    actor: { kind: 'system', id: kind },
    outcome,
    reason,
    statusBefore: state?.status ?? null,
    statusAfter: after?.status ?? null,
  };
}
