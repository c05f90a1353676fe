import type { Command, InstructionType } from './command';
import type { AuditRecord, Decision, Outcome, RejectionCode } from './decision';
import { lifecycleEvent, type Effect, type LifecycleEventType } from './effect';
import { addRef, liftHold, reasonsOf, removeRef } from './holds';
import { boundClocks, eventFingerprint } from './memory';
import type { Policy } from './policy';
import {
  newSubscription,
  type DeletionTimer,
  type EntryClock,
  type Hold,
  type HoldReason,
  type LegalHold,
  type LogPosition,
  type Millis,
  type Subscription,
} from './subscription';
import { newTimer } from './timer';

/**
 * The subscription state machine: what one command does to one subscription.
 * Pure: the same state, command, policy and `now` always give the same decision.
 */
export function decide(current: Subscription | null, command: Command, policy: Policy, now: Millis): Decision {
  if (current !== null && (current.tenantId !== command.tenantId || current.customerId !== command.customerId)) {
    return rejected(
      current,
      command,
      now,
      'IDENTITY_MISMATCH',
      `identity-mismatch: subscription belongs to tenant ${current.tenantId}, customer ${current.customerId}`,
    );
  }
  const base =
    current ?? newSubscription({ subscriptionId: command.subscriptionId, customerId: command.customerId, tenantId: command.tenantId }, now);
  const isNew = current === null;
  // A command that changes nothing never creates a subscription: a forged no-op from another tenant, arriving first,
  // must not claim the id for that tenant (issue 11, "tenant squatting").
  const skip = (outcome: Exclude<Outcome, 'rejected'>, reason: string): Decision => ({
    outcome,
    state: current,
    changed: false,
    effects: [],
    audit: auditRecord(command, now, outcome, reason, current, base),
  });

  if (base.status === 'deleted') return skip('ignored', 'subscription-deleted');
  const fingerprint = eventFingerprint(command.eventId);
  if (base.recentEvents.includes(fingerprint)) return skip('duplicate', 'event already applied');
  if (base.deletion?.claimedAt != null) return skip('ignored', 'deletion-in-progress');

  const key = entryKey(command);
  const clock = key === null ? undefined : base.entryClocks.find((entry) => entry.key === key);
  const stale = clock === undefined ? null : staleness(command, clock);
  if (stale !== null) return skip('stale', `stale: ${key ?? ''} ${stale}`);
  const { instruction } = command;
  if (instruction.type === 'fraud-detected' && instruction.score < policy.fraudScoreThreshold) {
    return skip('ignored', `below-fraud-threshold: score ${instruction.score} < ${policy.fraudScoreThreshold}`);
  }

  const { state, effects, changes } = apply(base, command, policy, now);
  if (isNew && changes.length === 0) return skip('ignored', 'no-change: an event that changes nothing creates no subscription');
  const remembered: Subscription = {
    ...state,
    entryClocks: boundClocks(
      key === null ? state.entryClocks : [...state.entryClocks.filter((entry) => entry.key !== key), advanced(clock, key, command)],
      state.holds,
      state.legalHold,
    ),
    recentEvents: [...state.recentEvents, fingerprint].slice(-policy.dedupeWindow),
    updatedAt: now,
  };
  return {
    outcome: 'applied',
    state: remembered,
    changed: true,
    effects,
    audit: auditRecord(command, now, 'applied', changes.length === 0 ? 'no-change' : changes.join('; '), current, remembered),
  };
}

/**
 * A command the store records as applied before, though it has left the dedupe window (a late resend): a duplicate,
 * recorded as one, whatever arrived in between.
 */
export function alreadyApplied(current: Subscription, command: Command, now: Millis): Decision {
  return {
    outcome: 'duplicate',
    state: current,
    changed: false,
    effects: [],
    audit: auditRecord(command, now, 'duplicate', 'event already applied (found in the audit trail)', current, current),
  };
}

/** Instructions that take a ref out of a hold (or lift the customer hold): what a paying, cleared or returning customer sends. */
const LIFTS: ReadonlySet<InstructionType> = new Set(['invoice-settled', 'fraud-cleared', 'resume-requested']);

/**
 * Why a command comes too late for its hold entry, or null (docs/architecture.md, "Ordering within a hold entry").
 * An entry's events share one topic and key, so one partition: they arrive in the order their source logged them,
 * and a lift that arrives after the hold it lifts was sent after it, whatever the producers' clocks say. So:
 * - a message is stale if an event logged after it (after its original, for a dead-letter replay) changed the entry:
 *   a redelivery after a crash, or a replay, is out of that order;
 * - a lift received live is never stale, however far ahead a (skewed) clock dated the hold before it;
 * - an event that adds to a hold is stale when its `occurredAt` is older than the entry's: a settlement that overtook
 *   its older overdue notice stands. A lift replayed from no known place is judged so too.
 * An operator acts now, with authority: a manual command is never stale, even behind a future-dated upstream event.
 */
function staleness(command: Command, clock: EntryClock): string | null {
  if (command.actor.kind === 'operator') return null;
  const replayed = command.replayed === true;
  // Log order first, live or replayed: a message redelivered after a crash (an offset before the entry's last) is
  // older than what already changed the entry, whatever kind it is. Without this a settlement that was ignored (it
  // found no subscription, so left no trace) and redelivered after the overdue notice logged behind it would lift it.
  const order = logOrder(command.position, clock.position);
  if (order !== null && order < 0 && clock.position !== undefined) {
    return replayed
      ? `changed by an event logged after this one's original (${describePosition(clock.position)})`
      : `changed by an event logged after this one (${describePosition(clock.position)}): a redelivery`;
  }
  const lifts = LIFTS.has(command.instruction.type);
  if (command.occurredAt < clock.at && (!lifts || (replayed && order === null))) {
    return `last changed by an event of ${new Date(clock.at).toISOString()}`;
  }
  return null;
}

const OFFSET = /^\d{1,20}$/;

/** -1, 0 or 1 as `a` comes before, at or after `b` in one partition's log; null when they cannot be ordered. */
function logOrder(a: LogPosition | undefined, b: LogPosition | undefined): number | null {
  if (a === undefined || b === undefined || a.topic !== b.topic || a.partition !== b.partition) return null;
  if (!OFFSET.test(a.offset) || !OFFSET.test(b.offset)) return null;
  const difference = BigInt(a.offset) - BigInt(b.offset);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

const describePosition = (position: LogPosition): string => `${position.topic}/${position.partition} at offset ${position.offset}`;

/** The entry's clock after `command` applied: the later `occurredAt`, and the later log position (the command's when unordered). */
function advanced(clock: EntryClock | undefined, key: string, command: Command): EntryClock {
  const at = Math.max(clock?.at ?? command.occurredAt, command.occurredAt);
  const order = logOrder(command.position, clock?.position);
  const position = order === null ? (command.position ?? clock?.position) : order > 0 ? command.position : clock?.position;
  return position === undefined ? { key, at } : { key, at, position };
}

/** The hold entry a command touches; what orders its events is `staleness`. Cancellation is final, so never stale. */
function entryKey({ instruction }: Command): string | null {
  switch (instruction.type) {
    case 'invoice-overdue':
    case 'invoice-settled':
      return `nonpayment/${instruction.invoiceId}`;
    case 'fraud-detected':
    case 'fraud-cleared':
      return `fraud/${instruction.caseId}`;
    case 'suspend-requested':
    case 'resume-requested':
      return 'customer_request';
    case 'legal-hold-set':
    case 'legal-hold-released':
      return 'legal_hold';
    case 'cancel-requested':
      return null;
  }
}

interface Applied {
  readonly state: Subscription;
  readonly effects: readonly Effect[];
  readonly changes: readonly string[];
}

function apply(base: Subscription, command: Command, policy: Policy, now: Millis): Applied {
  const { instruction } = command;
  switch (instruction.type) {
    case 'invoice-overdue':
      return withHolds(base, addRef(base.holds, 'nonpayment', instruction.invoiceId, now), command, policy, now);
    case 'invoice-settled':
      return withHolds(base, removeRef(base.holds, 'nonpayment', instruction.invoiceId), command, policy, now);
    case 'fraud-detected':
      return withHolds(base, addRef(base.holds, 'fraud', instruction.caseId, now), command, policy, now);
    case 'fraud-cleared':
      return withHolds(base, removeRef(base.holds, 'fraud', instruction.caseId), command, policy, now);
    case 'suspend-requested':
      return withHolds(base, addRef(base.holds, 'customer_request', instruction.ticketId, now), command, policy, now);
    case 'resume-requested':
      return withHolds(base, liftHold(base.holds, 'customer_request'), command, policy, now);
    case 'cancel-requested':
      return cancel(base, command, policy, now);
    case 'legal-hold-set':
      return setLegalHold(base, { reason: instruction.reason, actor: command.actor.id, since: now });
    case 'legal-hold-released':
      return releaseLegalHold(base, command, policy, now);
  }
}

/** Applies a new set of holds, then whatever follows from it: suspension and its timer, or reactivation. */
function withHolds(base: Subscription, holds: readonly Hold[], command: Command, policy: Policy, now: Millis): Applied {
  if (holds === base.holds) return { state: base, effects: [], changes: [] };
  const before = reasonsOf(base.holds);
  const after = reasonsOf(holds);
  const added = [...after].filter((reason) => !before.has(reason));
  const lifted = [...before].filter((reason) => !after.has(reason));
  const changes: string[] = [...added.map((reason) => `hold-added:${reason}`), ...lifted.map((reason) => `hold-lifted:${reason}`)];
  if (added.length === 0 && lifted.length === 0) changes.push('hold-refs-changed');

  let state: Subscription = { ...base, holds };
  const effects: Effect[] = [];
  const publish = (type: LifecycleEventType, holdReason?: HoldReason): void => {
    effects.push(lifecycleEvent(type, state, command.eventId, now, holdReason === undefined ? {} : { holdReason }));
  };
  const publishHolds = (): void => {
    added.forEach((reason) => {
      publish('subscription.hold-added', reason);
    });
    lifted.forEach((reason) => {
      publish('subscription.hold-lifted', reason);
    });
  };

  if (base.status === 'active' && holds.length > 0) {
    const timer = newTimer(base, now + policy.deletionDelayMs, policy, now);
    state = { ...state, status: 'suspended', deletion: timer, timerGeneration: timer.generation };
    changes.push('suspended', 'deletion-scheduled');
    publishHolds();
    publish('subscription.suspended');
    effects.push(scheduleEffect(state.subscriptionId, timer));
    publish('subscription.deletion-scheduled');
  } else if (base.status === 'suspended' && holds.length === 0) {
    const timer = base.deletion;
    state = { ...state, status: 'active', deletion: null };
    changes.push('reactivated');
    publishHolds();
    publish('subscription.reactivated');
    if (timer !== null) {
      changes.push('deletion-cancelled');
      effects.push(cancelEffect(state.subscriptionId, timer));
      publish('subscription.deletion-cancelled');
    }
  } else {
    publishHolds();
  }
  return { state, effects, changes };
}

function cancel(base: Subscription, command: Command, policy: Policy, now: Millis): Applied {
  if (base.status === 'cancelled') return { state: base, effects: [], changes: [] };
  const existing = base.deletion;
  const timer = existing ?? newTimer(base, now + policy.deletionDelayMs, policy, now);
  const state: Subscription = { ...base, status: 'cancelled', cancelledAt: now, deletion: timer, timerGeneration: timer.generation };
  const effects: Effect[] = [lifecycleEvent('subscription.cancelled', state, command.eventId, now)];
  const changes = ['cancelled'];
  if (existing === null) {
    changes.push('deletion-scheduled');
    effects.push(
      scheduleEffect(state.subscriptionId, timer),
      lifecycleEvent('subscription.deletion-scheduled', state, command.eventId, now),
    );
  }
  return { state, effects, changes };
}

function setLegalHold(base: Subscription, legalHold: LegalHold): Applied {
  if (base.legalHold !== null) return { state: base, effects: [], changes: [] };
  return { state: { ...base, legalHold }, effects: [], changes: ['legal-hold-set'] };
}

/** Deletion resumes at the later of the original due date and the end of the grace period after release. */
function releaseLegalHold(base: Subscription, command: Command, policy: Policy, now: Millis): Applied {
  if (base.legalHold === null) return { state: base, effects: [], changes: [] };
  const released: Subscription = { ...base, legalHold: null };
  const old = base.deletion;
  if (old === null) return { state: released, effects: [], changes: ['legal-hold-released'] };
  const timer = newTimer(base, Math.max(old.dueAt, now + policy.legalHoldReleaseGraceMs), policy, now);
  const state: Subscription = { ...released, deletion: timer, timerGeneration: timer.generation };
  return {
    state,
    effects: [
      cancelEffect(state.subscriptionId, old),
      scheduleEffect(state.subscriptionId, timer),
      lifecycleEvent('subscription.deletion-scheduled', state, command.eventId, now),
    ],
    changes: ['legal-hold-released', 'deletion-rescheduled'],
  };
}

export function scheduleEffect(subscriptionId: string, timer: DeletionTimer): Effect {
  return { kind: 'schedule-deletion', subscriptionId, generation: timer.generation, dueAt: timer.dueAt, reminders: timer.reminders };
}

export function cancelEffect(subscriptionId: string, timer: DeletionTimer): Effect {
  return { kind: 'cancel-deletion', subscriptionId, generation: timer.generation, reminders: timer.reminders };
}

function rejected(state: Subscription, command: Command, now: Millis, rejection: RejectionCode, reason: string): Decision {
  return {
    outcome: 'rejected',
    rejection,
    state,
    changed: false,
    effects: [],
    audit: auditRecord(command, now, 'rejected', reason, state, state),
  };
}

function auditRecord(
  command: Command,
  now: Millis,
  outcome: Outcome,
  reason: string,
  before: Subscription | null,
  after: Subscription | null,
): AuditRecord {
  return {
    subscriptionId: command.subscriptionId,
    tenantId: command.tenantId,
    eventId: command.eventId,
    type: command.instruction.type,
    occurredAt: command.occurredAt,
    recordedAt: now,
    actor: command.actor,
    outcome,
    reason,
    statusBefore: before?.status ?? null,
    statusAfter: after?.status ?? null,
    ...(command.note === undefined ? {} : { note: command.note }),
  };
}
