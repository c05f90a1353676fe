import { randomBytes } from 'node:crypto';

import type { Effect, LifecycleEvent } from '../domain';
import type { LifecyclePublisher } from '../kafka/lifecycle-publisher';
import type { TimerQueue } from '../queue/timer-queue';
import type { Traced } from '../tracing/trace-context';
import type { AuditDocument, AuditRepository } from '../storage/audit.repository';
import type { OutboxEntry } from '../storage/outbox';
import type { PendingWrite, Stored, SubscriptionRepository } from '../storage/subscription.repository';
import { chainCommit, unstoredIn } from './audit-chaining';
import type { PendingEffects } from './pending-effects';

/** The outbox of a version already stored whose effects may still be owed (its writer died before carrying them out). */
export interface Owed {
  readonly subscriptionId: string;
  readonly version: number;
  readonly outbox: readonly OutboxEntry[];
}

/** What one writer commits at once: each subscription written at most once, and everything else in one bulk per kind. */
export interface CommitBatch {
  /** State writes, each with the effects and audit records of the new version in its outbox (kept in Redis while owed). */
  readonly writes: readonly PendingWrite[];
  /** Outboxes found owed at load and not carried into a write of this batch. */
  readonly owed?: readonly Owed[];
  /**
   * Audit records that come with no write: only for subscriptions not stored (an event that changes nothing creates no
   * subscription). A stored subscription's records ride a write, which moves its chain head (audit-chaining.ts).
   */
  readonly audit?: readonly AuditDocument[];
  /** Lifecycle events that come with no state change (deletion reminders). */
  readonly publish?: readonly { id: string; event: LifecycleEvent }[];
}

/** A named crash point for the fault-injection suite (src/failpoints.ts). */
export type Failpoint = (name: string) => void;

export const COMMIT_FAILPOINTS = [
  'commit.after-mark',
  'commit.after-write',
  'commit.after-audit',
  'commit.after-timers',
  'commit.after-publish',
] as const;

/**
 * The one way state reaches MongoDB and effects reach the world, for every writer (consumer slices, operator commands,
 * timer jobs, the sweeper, the CLI). The caller holds the subscriptions' locks and leases.
 *
 * Order: mark the writes pending with their outboxes (one Redis MULTI) → one bulk state write → one audit insert →
 * timers in one bulk → lifecycle events in one produce → unmark. A crash anywhere leaves either nothing stored, or a
 * stored version still marked with its outbox, which the next writer of that subscription (or the sweeper) carries
 * out again; every effect has a deterministic id,
 * so carrying it out twice repeats it, never doubles it. An effect is only carried out after its state is stored.
 */
export class CommitPath {
  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly audit: AuditRepository,
    private readonly timers: TimerQueue,
    private readonly publisher: LifecyclePublisher,
    private readonly pending: PendingEffects,
    private readonly failpoint: Failpoint = () => undefined,
    /** Whether audit records are linked into their chains (AUDIT_CHAIN): off only for the benchmark's baseline. */
    readonly chained: boolean = true,
  ) {}

  /**
   * Stored states, and which of their outboxes are owed: one MongoDB read and one Redis round trip, plus one more for
   * the outboxes of marked subscriptions (a crash or a commit in flight elsewhere: rare).
   */
  async load(subscriptionIds: readonly string[]): Promise<{ stored: Map<string, Stored>; owed: Map<string, Owed> }> {
    const [stored, marked] = await Promise.all([this.subscriptions.load(subscriptionIds), this.pending.versionsOf(subscriptionIds)]);
    // A mark for a version that never got stored (a crash before the write) owes nothing: its effects never existed.
    const tokens = new Map<string, string>();
    for (const [id, version] of marked) {
      const doc = stored.get(id);
      if (doc !== undefined && doc.version === version) tokens.set(id, doc.writeToken);
    }
    const outboxes = await this.pending.outboxesOf(tokens);
    const owed = new Map<string, Owed>();
    for (const id of tokens.keys()) {
      // A document of the old shape carries its own outbox (written before issue 21); owed while marked, like any other.
      const outbox = outboxes.get(id) ?? stored.get(id)?.legacyOutbox ?? [];
      if (outbox.length > 0) owed.set(id, { subscriptionId: id, version: marked.get(id) ?? 0, outbox });
    }
    return { stored, owed };
  }

  async loadOne(subscriptionId: string): Promise<{ stored: Stored | null; owed: Owed | null }> {
    const { stored, owed } = await this.load([subscriptionId]);
    return { stored: stored.get(subscriptionId) ?? null, owed: owed.get(subscriptionId) ?? null };
  }

  /** Which of these audit record ids are stored (an applied event's record id is deterministic: see applyCommands). */
  async recorded(auditIds: readonly string[]): Promise<Set<string>> {
    return auditIds.length === 0 ? new Set() : await this.audit.existing(auditIds);
  }

  /** Commits the batch; returns the subscriptions whose write lost a race (nothing of theirs was carried out). */
  async commit(input: CommitBatch): Promise<Set<string>> {
    // Every new audit record is linked into its subscription's hash chain first (audit-chaining.ts).
    const chained = this.chained
      ? chainCommit(input.writes, input.audit ?? [], await this.audit.unstoredHeads(unstoredIn(input.writes, input.audit ?? [])))
      : { writes: [...input.writes], audit: [...(input.audit ?? [])], unstoredLast: new Map<string, string>() };
    const batch: CommitBatch = { ...input, writes: chained.writes, audit: chained.audit };
    const { writes } = batch;
    // 96 random bits name this commit's writes and outboxes: no two commits share one.
    const token = randomBytes(12).toString('base64url');
    await this.pending.mark(
      writes.map((write) => ({ subscriptionId: write.state.subscriptionId, version: write.expectedVersion + 1, outbox: write.outbox })),
      token,
    );
    this.failpoint('commit.after-mark');
    const lost = writes.length === 0 ? new Set<string>() : await this.subscriptions.write(writes, token);
    this.failpoint('commit.after-write');
    const won = writes.filter((write) => !lost.has(write.state.subscriptionId));
    const outboxes = [...won.map((write) => write.outbox), ...(batch.owed ?? []).map((owed) => owed.outbox)];
    await this.carryOut(outboxes.flat(), batch);
    await this.audit.moveUnstoredHeads(chained.unstoredLast);
    // A lost write's mark stays: the winner's outbox may be owed too, and the sweeper settles it.
    await this.pending.unmark([
      ...won.map((write) => write.state.subscriptionId),
      ...(batch.owed ?? []).map((owed) => owed.subscriptionId),
    ]);
    return lost;
  }

  /** Schedules go before cancels: a timer set and lifted within one batch ends up removed. */
  private async carryOut(entries: readonly OutboxEntry[], batch: CommitBatch): Promise<void> {
    const records: AuditDocument[] = [...(batch.audit ?? [])];
    const schedules: Traced<Extract<Effect, { kind: 'schedule-deletion' }>>[] = [];
    const cancels: Extract<Effect, { kind: 'cancel-deletion' }>[] = [];
    const events: Traced<{ id: string; event: LifecycleEvent }>[] = [...(batch.publish ?? [])];
    for (const entry of entries) {
      if (entry.kind === 'audit') {
        records.push({ _id: entry.id, ...entry.record });
        continue;
      }
      // The span that caused an effect goes with it: the timer job stores it, the lifecycle event's header names it.
      const { effect, traceparent } = entry;
      switch (effect.kind) {
        case 'schedule-deletion':
          schedules.push(traceparent === undefined ? effect : { ...effect, traceparent });
          break;
        case 'cancel-deletion':
          cancels.push(effect);
          break;
        case 'publish':
          events.push({ id: entry.id, event: effect.event, traceparent });
          break;
      }
    }
    await this.audit.append(records);
    this.failpoint('commit.after-audit');
    await this.timers.schedule(schedules);
    await this.timers.cancel(cancels);
    this.failpoint('commit.after-timers');
    await this.publisher.publish(events);
    this.failpoint('commit.after-publish');
  }

  /** Subscriptions marked longer ago than `before`: candidates for the sweeper. */
  async markedBefore(before: number, limit: number): Promise<string[]> {
    return await this.pending.olderThan(before, limit);
  }

  /** Drops marks that owe nothing (a crash before the write, or a lost race whose winner has finished). */
  async forget(subscriptionIds: readonly string[]): Promise<void> {
    await this.pending.unmark(subscriptionIds);
  }

  /** Which of these subscriptions have effects marked owed (a commit in flight, or cut short). */
  async owing(subscriptionIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.pending.versionsOf(subscriptionIds)).keys());
  }

  async pendingCount(): Promise<number> {
    return await this.pending.count();
  }
}
