import { lifecycleEvent, type Effect } from './effect';
import { parseDuration } from './duration';
import { DEFAULT_VERSION, type Policy } from './policy';
import type { DeletionTimer, Millis, Subscription } from './subscription';
import { timerStart } from './timer';

/**
 * What a tenant may override of the environment's policy (Kill Bill's per-tenant overdue.xml, Lago's per billing
 * entity). Absent fields follow the environment; the dedupe window is the service's, not a tenant's.
 */
export interface PolicyOverride {
  readonly deletionDelay?: string;
  readonly deletionReminders?: readonly string[];
  readonly legalHoldReleaseGrace?: string;
  readonly fraudScoreThreshold?: number;
}

/** One immutable version of a tenant's policy. Version 0 is the environment's default and is never stored. */
export interface PolicyVersion {
  readonly tenantId: string;
  readonly version: number;
  readonly override: PolicyOverride;
  /** Re-plan pending deletions even when the due date does not move later (it still never comes before the announced date). */
  readonly applyToPending: boolean;
  readonly actor: string;
  readonly reason: string;
  readonly createdAt: Millis;
}

/** A tenant's policy in force; its `version` says which (0: the environment's). */
export type TenantPolicy = Policy;

/** The policy a version gives: its overrides over the environment's default. */
export function resolvePolicy(base: Policy, override: PolicyOverride): Policy {
  return {
    ...base,
    ...(override.deletionDelay === undefined ? {} : { deletionDelayMs: parseDuration(override.deletionDelay) }),
    ...(override.deletionReminders === undefined
      ? {}
      : { reminderOffsets: override.deletionReminders.map((offset) => ({ offset, ms: parseDuration(offset) })) }),
    ...(override.legalHoldReleaseGrace === undefined ? {} : { legalHoldReleaseGraceMs: parseDuration(override.legalHoldReleaseGrace) }),
    ...(override.fraudScoreThreshold === undefined ? {} : { fraudScoreThreshold: override.fraudScoreThreshold }),
  };
}

export type Widest = Pick<Policy, 'deletionDelayMs' | 'legalHoldReleaseGraceMs'>;

/**
 * The longest delay and grace of the environment's policy and of these versions: a pending deletion may keep an older,
 * longer version's date, so "upcoming deletions" windows span this to leave none out.
 */
export function widestOf(base: Widest, overrides: readonly PolicyOverride[]): Widest {
  const longest = (ms: number, texts: readonly (string | undefined)[]): number =>
    Math.max(ms, ...texts.flatMap((text) => (text === undefined ? [] : [parseDuration(text)])));
  return {
    deletionDelayMs: longest(
      base.deletionDelayMs,
      overrides.map((override) => override.deletionDelay),
    ),
    legalHoldReleaseGraceMs: longest(
      base.legalHoldReleaseGraceMs,
      overrides.map((override) => override.legalHoldReleaseGrace),
    ),
  };
}

/** The tenant's policy in force: its latest version, or the environment's default when it has none. */
export function tenantPolicy(base: Policy, latest: PolicyVersion | null): TenantPolicy {
  return latest === null ? { ...base, version: DEFAULT_VERSION } : { ...resolvePolicy(base, latest.override), version: latest.version };
}

/**
 * The latest deletion date announced to the customer for this timer. Every due date a timer takes is published at once
 * (`deletion-scheduled` when set or re-planned, and in every reminder), and due dates only move later, so it is the
 * timer's own `dueAt`. The promise rule: no re-plan may set a due date before it.
 */
export function announcedDueAt(timer: DeletionTimer): Millis {
  return timer.dueAt;
}

export type ReplanMode = 'extend-only' | 'apply-to-pending';

/** What a policy version would do to one pending deletion. */
export interface Replan {
  readonly subscriptionId: string;
  readonly fromDueAt: Millis;
  readonly toDueAt: Millis;
  /** What the new policy alone would give; earlier than `toDueAt` when the promise rule held the date. */
  readonly policyDueAt: Millis;
  /** The policy would have deleted before the date already announced; the announced date is kept. */
  readonly heldAtAnnounced: boolean;
  readonly fromReminders: readonly Millis[];
  readonly toReminders: readonly Millis[];
  readonly fromVersion: number;
  readonly toVersion: number;
}

/** A pending deletion a policy may still move: scheduled, not yet claimed by the deletion job. */
export function isPending(state: Subscription): state is Subscription & { deletion: DeletionTimer } {
  return (state.status === 'suspended' || state.status === 'cancelled') && state.deletion !== null && state.deletion.claimedAt === null;
}

/**
 * The promise rule, for one pending deletion under a tenant's new policy version (null: nothing would change).
 * A later due date always applies (timer and reminders re-planned); an earlier or equal one only in `apply-to-pending`
 * mode, and then never before the announced date. Pure: `previewPolicy` and `replanTimer` share it.
 */
export function planFor(state: Subscription, next: TenantPolicy, mode: ReplanMode, now: Millis): Replan | null {
  if (!isPending(state)) return null;
  const timer = state.deletion;
  if ((timer.policyVersion ?? DEFAULT_VERSION) === next.version) return null;
  const policyDueAt = timerStart(timer) + next.deletionDelayMs;
  const announced = announcedDueAt(timer);
  if (policyDueAt <= announced && mode === 'extend-only') return null;
  const toDueAt = Math.max(policyDueAt, announced);
  return {
    subscriptionId: state.subscriptionId,
    fromDueAt: timer.dueAt,
    toDueAt,
    policyDueAt,
    heldAtAnnounced: policyDueAt < announced,
    fromReminders: timer.reminders.map((reminder) => reminder.at),
    toReminders: remindersFor(toDueAt, next, now).map((reminder) => reminder.at),
    fromVersion: timer.policyVersion ?? DEFAULT_VERSION,
    toVersion: next.version,
  };
}

function remindersFor(dueAt: Millis, policy: Policy, now: Millis): DeletionTimer['reminders'] {
  return policy.reminderOffsets.map(({ offset, ms }) => ({ offset, at: dueAt - ms })).filter((reminder) => reminder.at > now);
}

/**
 * Carries a plan out: a new timer generation (the old job is cancelled, a new one scheduled) and a
 * `deletion-scheduled` event announcing the date. Under legal hold no job runs; releasing it schedules one.
 */
export function replanTimer(
  state: Subscription,
  next: TenantPolicy,
  mode: ReplanMode,
  causationId: string,
  now: Millis,
): { readonly state: Subscription; readonly effects: readonly Effect[]; readonly plan: Replan } | null {
  const plan = planFor(state, next, mode, now);
  if (plan === null || !isPending(state)) return null;
  const old = state.deletion;
  const timer: DeletionTimer = {
    ...old,
    generation: state.timerGeneration + 1,
    dueAt: plan.toDueAt,
    scheduledAt: now,
    startedAt: timerStart(old),
    reminders: remindersFor(plan.toDueAt, next, now),
    policyVersion: next.version,
  };
  const replanned: Subscription = { ...state, deletion: timer, timerGeneration: timer.generation, updatedAt: now };
  const cancel: Effect = {
    kind: 'cancel-deletion',
    subscriptionId: state.subscriptionId,
    generation: old.generation,
    reminders: old.reminders,
  };
  const schedule: Effect = {
    kind: 'schedule-deletion',
    subscriptionId: state.subscriptionId,
    generation: timer.generation,
    dueAt: timer.dueAt,
    reminders: timer.reminders,
  };
  const effects: Effect[] = [cancel, ...(state.legalHold === null ? [schedule] : [])];
  if (plan.toDueAt !== plan.fromDueAt) effects.push(lifecycleEvent('subscription.deletion-scheduled', replanned, causationId, now));
  return { state: replanned, effects, plan };
}

/** A re-plan's audit reason; lifecycle-from-audit.ts reads the dates back (a moved date was announced). */
export function replanReason(plan: Replan, version: Pick<PolicyVersion, 'actor' | 'reason'>): string {
  const iso = (ms: Millis): string => new Date(ms).toISOString();
  const held = plan.heldAtAnnounced ? ', held at the announced date' : '';
  return `policy v${plan.fromVersion} -> v${plan.toVersion} (${version.actor}: ${version.reason}): deletion ${iso(plan.fromDueAt)} -> ${iso(plan.toDueAt)}${held}`;
}
