import {
  planFor,
  replanReason,
  replanTimer,
  resolvePolicy,
  tenantPolicy,
  timerAudit,
  type Millis,
  type Policy,
  type PolicyOverride,
  type PolicyVersion,
  type Replan,
  type ReplanMode,
  type Widest,
  widestOf,
} from '../domain';
import type { CommitPath } from '../commit/commit-path';
import { AppError } from '../errors';
import type { KeyedLock } from '../leases/keyed-lock';
import { stableId } from '../storage/ids';
import type { OutboxEntry } from '../storage/outbox';
import type { SubscriptionRepository } from '../storage/subscription.repository';
import type { TenantPolicyRepository } from '../storage/tenant-policy.repository';

/** A tenant's policy lookup, as the state machine's callers need it: synchronous, from one snapshot per batch. */
export type PolicyOf = (tenantId: string) => Policy;

/** Where writers and windows find tenants' policies. */
export interface PolicySource {
  /** The policy in force for each tenant, from a snapshot at most the refresh interval old. */
  snapshot(): Promise<PolicyOf>;
  /**
   * The longest delay and grace of the environment's policy and of every tenant version ever stored (a pending
   * deletion may keep an older, longer one): "upcoming deletions" windows span it, so none is left out.
   */
  widest(): Promise<Widest>;
  /** Forgets the snapshot (after this process stored a version). */
  invalidate(): void;
}

/**
 * Tenants' policies, read from their versions and kept for `refreshMs`: the consumer asks per batch, and a read per
 * batch would cost the hot path a round trip. A version stored elsewhere reaches this process within `refreshMs`; a
 * deletion scheduled meanwhile under the older version is re-planned by the reconciler (`replanTenants`).
 */
export class TenantPolicies implements PolicySource {
  private cached: { at: Millis; latest: Map<string, PolicyVersion>; widest: Widest } | null = null;

  constructor(
    private readonly store: TenantPolicyRepository,
    readonly base: Policy,
    private readonly refreshMs: number,
    private readonly clock: () => number,
  ) {}

  private async load(): Promise<NonNullable<TenantPolicies['cached']>> {
    const now = this.clock();
    if (this.cached !== null && now - this.cached.at < this.refreshMs) return this.cached;
    const { latest, all } = await this.store.everyVersion();
    const widest = widestOf(
      this.base,
      all.map((version) => version.override),
    );
    this.cached = { at: now, latest, widest };
    return this.cached;
  }

  async snapshot(): Promise<PolicyOf> {
    const { latest } = await this.load();
    return (tenantId) => tenantPolicy(this.base, latest.get(tenantId) ?? null);
  }

  async widest(): Promise<Widest> {
    return (await this.load()).widest;
  }

  invalidate(): void {
    this.cached = null;
  }
}

/** A source that gives every tenant the environment's policy (tests, and tools that never read versions). */
export function fixedPolicy(policy: Policy): PolicySource {
  return {
    snapshot: () => Promise.resolve(() => policy),
    widest: () => Promise.resolve(policy),
    invalidate: () => undefined,
  };
}

export interface PolicyDeps {
  readonly policies: TenantPolicyRepository;
  readonly source: TenantPolicies;
  readonly subscriptions: SubscriptionRepository;
  readonly commits: CommitPath;
  readonly locks: KeyedLock;
  readonly clock: () => number;
}

export interface PolicyDraft {
  readonly tenantId: string;
  readonly override: PolicyOverride;
  readonly applyToPending: boolean;
}

export interface PreviewSummary {
  /** Pending deletions of the tenant looked at. */
  readonly pending: number;
  readonly moved: number;
  readonly later: number;
  /** Deletions the draft alone would bring before the date already announced: they keep the announced date. */
  readonly heldAtAnnounced: number;
  readonly remindersChanged: number;
}

export interface Preview {
  readonly tenantId: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly policy: Policy;
  readonly summary: PreviewSummary;
  /** At most `limit`, soonest first. */
  readonly changes: readonly Replan[];
  readonly truncated: boolean;
}

const PAGE = 500;
const modeOf = (applyToPending: boolean): ReplanMode => (applyToPending ? 'apply-to-pending' : 'extend-only');
const sameMoments = (a: readonly Millis[], b: readonly Millis[]): boolean => a.length === b.length && a.every((at, i) => at === b[i]);

/** What storing `draft` would do to the tenant's pending deletions, from live data; changes nothing. */
export async function previewPolicy(deps: PolicyDeps, draft: PolicyDraft, limit: number): Promise<Preview> {
  const latest = await deps.policies.latest(draft.tenantId);
  const next = { ...resolvePolicy(deps.source.base, draft.override), version: (latest?.version ?? 0) + 1 };
  const now = deps.clock();
  const plans: Replan[] = [];
  let pending = 0;
  for await (const page of deps.subscriptions.pendingOfTenant(draft.tenantId, PAGE)) {
    pending += page.length;
    for (const state of page) {
      const plan = planFor(state, next, modeOf(draft.applyToPending), now);
      if (plan !== null) plans.push(plan);
    }
  }
  // What the draft would do even where the promise rule keeps the date: those are what an operator must see.
  const shown = plans.filter(
    (plan) => plan.toDueAt !== plan.fromDueAt || plan.heldAtAnnounced || !sameMoments(plan.fromReminders, plan.toReminders),
  );
  shown.sort((a, b) => a.fromDueAt - b.fromDueAt || a.subscriptionId.localeCompare(b.subscriptionId));
  return {
    tenantId: draft.tenantId,
    fromVersion: latest?.version ?? 0,
    toVersion: next.version,
    policy: next,
    summary: {
      pending,
      moved: plans.filter((plan) => plan.toDueAt !== plan.fromDueAt).length,
      later: plans.filter((plan) => plan.toDueAt > plan.fromDueAt).length,
      heldAtAnnounced: plans.filter((plan) => plan.heldAtAnnounced).length,
      remindersChanged: plans.filter((plan) => !sameMoments(plan.fromReminders, plan.toReminders)).length,
    },
    changes: shown.slice(0, limit),
    truncated: shown.length > limit,
  };
}

export interface SetResult {
  readonly version: PolicyVersion;
  readonly replanned: number;
}

/** Stores the draft as the tenant's next version under the operator's name and reason, then re-plans its pending deletions. */
export async function setPolicy(deps: PolicyDeps, draft: PolicyDraft, operator: { actor: string; reason: string }): Promise<SetResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const latest = await deps.policies.latest(draft.tenantId);
    const version: PolicyVersion = {
      tenantId: draft.tenantId,
      version: (latest?.version ?? 0) + 1,
      override: draft.override,
      applyToPending: draft.applyToPending,
      actor: operator.actor,
      reason: operator.reason,
      createdAt: deps.clock(),
    };
    if (await deps.policies.insert(version)) {
      deps.source.invalidate();
      return { version, replanned: await replanTenant(deps, version) };
    }
  }
  throw new AppError('VERSION_CONFLICT', `tenant ${draft.tenantId}: another operator stored a policy version at the same time`);
}

/**
 * Re-plans a tenant's pending deletions under `version` (the promise rule: `planFor`), each under its lock, with an
 * audit line naming the operator and the version. Idempotent: a timer already on that version is left alone, so the
 * reconciler can run it again after a crash part-way.
 */
export async function replanTenant(deps: Omit<PolicyDeps, 'policies'>, version: PolicyVersion): Promise<number> {
  const next = tenantPolicy(deps.source.base, version);
  const mode = modeOf(version.applyToPending);
  const causation = `policy.${version.tenantId}.${version.version}`;
  let replanned = 0;
  for await (const page of deps.subscriptions.pendingOfTenant(version.tenantId, PAGE)) {
    const candidates = page.filter((state) => planFor(state, next, mode, deps.clock()) !== null).map((state) => state.subscriptionId);
    for (const id of candidates) {
      const done = await deps.locks.withLocks([id], async () => {
        const { stored, owed } = await deps.commits.loadOne(id);
        const now = deps.clock();
        const result = stored === null ? null : replanTimer(stored.state, next, mode, causation, now);
        if (stored === null || result === null) return false;
        const { plan } = result;
        const reason = replanReason(plan, version);
        const record = {
          ...timerAudit(stored.state, id, 'policy-replan', causation, now, 'applied', reason, result.state),
          actor: { kind: 'operator' as const, id: version.actor },
        };
        const outbox: OutboxEntry[] = [
          ...(owed?.outbox ?? []),
          ...result.effects.map((effect, index): OutboxEntry => ({
            id: stableId(id, causation, result.state.timerGeneration, index),
            kind: 'effect',
            effect,
          })),
          { id: stableId('audit', id, causation, 'replan'), kind: 'audit', record },
        ];
        const lost = await deps.commits.commit({ writes: [{ state: result.state, expectedVersion: stored.version, outbox }] });
        return !lost.has(id);
      });
      if (done) replanned++;
    }
  }
  return replanned;
}

/**
 * The reconciler's part: every tenant's pending deletions brought onto its latest version. Catches what a crash
 * part-way through `setPolicy` left, and deletions another process scheduled from a copy older than the version.
 */
export async function replanTenants(deps: PolicyDeps): Promise<number> {
  const { latest } = await deps.policies.everyVersion();
  let replanned = 0;
  for (const version of latest.values()) replanned += await replanTenant(deps, version);
  return replanned;
}
