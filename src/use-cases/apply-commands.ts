import type { CommitPath, Owed } from '../commit/commit-path';
import {
  alreadyApplied,
  decide,
  DEDUPE_WINDOW_MIN,
  eventFingerprint,
  type Command,
  type Decision,
  type Policy,
  type Subscription,
} from '../domain';
import { AppError } from '../errors';
import { COMMIT_CONFLICT_RETRIES } from '../retry-policies';
import type { AuditDocument } from '../storage/audit.repository';
import { stableId } from '../storage/ids';
import type { OutboxEntry } from '../storage/outbox';
import type { PendingWrite, Stored, SubscriptionRepository } from '../storage/subscription.repository';
import type { KeyedLock } from '../leases/keyed-lock';
import type { PolicySource } from './tenant-policies';

/** A command and where it came from: a Kafka offset or an operator's request id. Names the audit line of a non-applied decision. */
export interface Delivery {
  readonly command: Command;
  readonly deliveryRef: string;
  /** The span that handled it (W3C traceparent), while tracing is on: its effects carry it (lifecycle headers, timers). */
  readonly traceparent?: string | undefined;
}

export interface Decided {
  readonly delivery: Delivery;
  readonly decision: Decision;
}

export interface ApplyDeps {
  readonly subscriptions: SubscriptionRepository;
  readonly commits: CommitPath;
  /** The environment's policy: every tenant's unless `tenantPolicies` gives one of its own. */
  readonly policy: Policy;
  /** Tenants' own policies (tenant-policies.ts); absent: every tenant follows `policy`. */
  readonly tenantPolicies?: PolicySource;
  readonly clock: () => number;
  /** Serialises this process's writers per subscription (see keyed-lock.ts). */
  readonly locks: KeyedLock;
  /** Optimistic-concurrency retries before giving up on a batch (the caller then retries it as a transient fault); default `COMMIT_CONFLICT_RETRIES`. */
  readonly maxConflictRetries?: number;
}

/** An applied event's audit record id: one per event, whatever the delivery, so it also says "applied before". */
function appliedAuditId(command: Command): string {
  return stableId('audit', command.subscriptionId, command.eventId, 'applied');
}

function auditId(decided: Decided): string {
  const { command } = decided.delivery;
  const { outcome } = decided.decision;
  // Any decision other than an application is recorded per delivery: a resend shows in the trail.
  return outcome === 'applied'
    ? appliedAuditId(command)
    : stableId('audit', command.subscriptionId, command.eventId, outcome, decided.delivery.deliveryRef);
}

/**
 * Events that may have been applied before and left the subscription's dedupe window (a late resend): only for
 * subscriptions whose window may have dropped one, so the audit trail is asked only when the state alone cannot tell.
 */
function lateCandidates(deliveries: readonly Delivery[], stored: Stored | undefined): string[] {
  const recent = stored?.state.recentEvents;
  if (recent === undefined || recent.length < DEDUPE_WINDOW_MIN) return [];
  return deliveries
    .filter((delivery) => !recent.includes(eventFingerprint(delivery.command.eventId)))
    .map((delivery) => appliedAuditId(delivery.command));
}

interface Folded {
  readonly decided: Decided[];
  readonly write: PendingWrite | null;
  /** Records of decisions that change nothing: written with no state write. */
  readonly audit: AuditDocument[];
  /** An owed outbox not carried into a write (nothing changed this time): carried out on its own. */
  readonly owed: Owed | null;
}

/**
 * Runs one subscription's commands through the state machine, in order, from its stored state. The new outbox holds
 * only this write's effects and records, plus an owed one it replaces: a write never drops effects still owed.
 */
export function fold(
  deliveries: readonly Delivery[],
  stored: Stored | undefined,
  owed: Owed | undefined,
  policy: Policy,
  now: number,
  /** Applied-audit ids of this slice's late candidates that the trail holds: those events are duplicates. */
  appliedBefore: ReadonlySet<string> = new Set(),
  /** Whether a stored subscription's records ride a write when nothing changed (its audit chain's head moves): AUDIT_CHAIN. */
  chained = true,
): Folded {
  let state: Subscription | null = stored?.state ?? null;
  let changed = false;
  const version = stored?.version ?? 0;
  const effects: OutboxEntry[] = [];
  const decided: Decided[] = [];
  // Applied besides what the trail holds: records of an owed outbox (not inserted yet), and this slice's own, which
  // the window alone misses once a slice brings more events of one subscription than the window keeps.
  const applied = new Set([...appliedBefore, ...(owed?.outbox ?? []).filter((entry) => entry.kind === 'audit').map((entry) => entry.id)]);
  for (const delivery of deliveries) {
    const id = appliedAuditId(delivery.command);
    const decision =
      state !== null && applied.has(id) ? alreadyApplied(state, delivery.command, now) : decide(state, delivery.command, policy, now);
    if (decision.outcome === 'applied') applied.add(id);
    decided.push({ delivery, decision });
    if (decision.state !== null) state = decision.state;
    changed ||= decision.changed;
    const { traceparent } = delivery;
    decision.effects.forEach((effect, index) => {
      const id = stableId(delivery.command.subscriptionId, version + 1, decided.length, index);
      effects.push(traceparent === undefined ? { id, kind: 'effect', effect } : { id, kind: 'effect', effect, traceparent });
    });
  }
  const records = decided.map((item) => ({ _id: auditId(item), ...item.decision.audit }));
  // A stored subscription's records always ride a write, even when nothing else changed: the write moves its audit
  // chain's head (src/commit/audit-chaining.ts). Only a subscription never stored gets records with no write.
  if ((changed || (chained && stored !== undefined)) && state !== null) {
    const audits = records.map((record): OutboxEntry => ({ id: record._id, kind: 'audit', record }));
    const outbox = [...(owed?.outbox ?? []), ...effects, ...audits];
    return {
      decided,
      write: { state, expectedVersion: version, outbox, ...(stored?.document === undefined ? {} : { base: stored.document }) },
      audit: [],
      owed: null,
    };
  }
  return { decided, write: null, audit: records, owed: owed ?? null };
}

/**
 * Applies commands to their subscriptions: one bulk read, the state machine per subscription in order, then one
 * commit (CommitPath: one state write per subscription, one audit insert, one timer bulk, one produce). Subscriptions that lost a write race are re-read and redone.
 * Returns every decision, for dead-lettering rejections and counting outcomes.
 */
export async function applyCommands(deliveries: readonly Delivery[], deps: ApplyDeps): Promise<Decided[]> {
  let pending = groupBySubscription(deliveries);
  const results: Decided[] = [];
  const maxRetries = deps.maxConflictRetries ?? COMMIT_CONFLICT_RETRIES;
  for (let attempt = 0; pending.size > 0; attempt++) {
    if (attempt > maxRetries) {
      throw new AppError('VERSION_CONFLICT', `gave up after ${maxRetries} write conflicts`, {
        context: { subscriptionIds: [...pending.keys()] },
      });
    }
    const conflicts = await deps.locks.withLocks(pending.keys(), async () => {
      const now = deps.clock();
      const policyOf = deps.tenantPolicies === undefined ? () => deps.policy : await deps.tenantPolicies.snapshot();
      const { stored, owed } = await deps.commits.load([...pending.keys()]);
      // The stored subscription's tenant decides; a command naming another is rejected by decide anyway.
      const policyFor = (items: readonly Delivery[], at: Stored | undefined): Policy =>
        policyOf(at?.state.tenantId ?? items[0]?.command.tenantId ?? '');
      const appliedBefore = await deps.commits.recorded([...pending].flatMap(([id, items]) => lateCandidates(items, stored.get(id))));
      const folded = new Map(
        [...pending].map(([id, items]) => [
          id,
          fold(items, stored.get(id), owed.get(id), policyFor(items, stored.get(id)), now, appliedBefore, deps.commits.chained),
        ]),
      );
      const all = [...folded.values()];
      const lost = await deps.commits.commit({
        writes: all.flatMap((item) => (item.write === null ? [] : [item.write])),
        owed: all.flatMap((item) => (item.owed === null ? [] : [item.owed])),
        audit: all.flatMap((item) => item.audit),
      });
      for (const [id, item] of folded) if (!lost.has(id)) results.push(...item.decided);
      return lost;
    });
    pending = new Map([...pending].filter(([id]) => conflicts.has(id)));
  }
  return results;
}

function groupBySubscription(deliveries: readonly Delivery[]): Map<string, Delivery[]> {
  const groups = new Map<string, Delivery[]>();
  for (const delivery of deliveries) {
    const id = delivery.command.subscriptionId;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [delivery]);
    else group.push(delivery);
  }
  return groups;
}
