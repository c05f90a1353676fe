import {
  claimDeletion,
  decide,
  nextWake,
  planFor,
  replanTimer,
  tenantPolicy,
  wakeBeforeDue,
  widestOf,
  type Command,
  type Effect,
  type Millis,
  type PolicyVersion,
  type Subscription,
} from '../../../src/domain';
import { random } from '../../support/seeded-random';
import {
  DAY,
  HOUR,
  T0,
  cancelRequested,
  invoiceOverdue,
  invoiceSettled,
  legalHoldReleased,
  legalHoldSet,
  suspendRequested,
  testPolicy,
} from '../../support/factories';

const base = testPolicy();
const version = (n: number, delayDays: number, reminders: readonly string[], applyToPending: boolean): PolicyVersion => ({
  tenantId: 'tenant-1',
  version: n,
  override: { deletionDelay: `P${delayDays}D`, deletionReminders: reminders },
  applyToPending,
  actor: 'ops-alice',
  reason: 'market change',
  createdAt: T0,
});

/** The latest deletion date told to the customer since the current suspension began, from the effects alone. */
class Announcements {
  latest: Millis | null = null;
  observe(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.kind !== 'publish') continue;
      const { type, deletionDueAt } = effect.event;
      // A reactivation withdraws the deletion it cancels: a later suspension makes a new promise.
      if (type === 'subscription.deletion-cancelled' || type === 'subscription.reactivated') this.latest = null;
      else if (deletionDueAt !== null) this.latest = Math.max(this.latest ?? deletionDueAt, deletionDueAt);
    }
  }
}

describe('the promise rule (random policy changes and event streams)', () => {
  const RUNS = 400;
  for (let seed = 1; seed <= RUNS; seed++) {
    it(`never deletes before the latest announced date, and applies a longer delay to pending deletions (seed ${seed})`, () => {
      const rand = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
      let state: Subscription | null = null;
      let now = T0;
      let policy = tenantPolicy(base, null);
      let versions = 0;
      const told = new Announcements();
      // Read through a function: assignments inside `apply` are invisible to TypeScript's narrowing of `state`.
      const current = (): Subscription | null => state;
      const apply = (command: Command): void => {
        const decision = decide(state, { ...command, occurredAt: now }, policy, now);
        if (decision.state !== null) state = decision.state;
        told.observe(decision.effects);
      };
      for (let step = 0; step < 40 && current()?.status !== 'deleted'; step++) {
        now += Math.floor(rand() * 20 * DAY) + HOUR;
        const roll = rand();
        if (roll < 0.2) apply(invoiceOverdue({ invoiceId: pick(['i1', 'i2']) }));
        else if (roll < 0.3) apply(invoiceSettled({ invoiceId: pick(['i1', 'i2']) }));
        else if (roll < 0.35) apply(suspendRequested());
        else if (roll < 0.38) apply(cancelRequested());
        else if (roll < 0.42) apply(legalHoldSet({ reason: 'litigation' }));
        else if (roll < 0.46) apply(legalHoldReleased({ reason: 'settled' }));
        else if (roll < 0.7) {
          // An operator stores a new version: a delay from 10 to 150 days, maybe other reminders, maybe for pending ones.
          versions += 1;
          const next = tenantPolicy(
            base,
            version(versions, pick([10, 30, 60, 90, 150]), pick([['P30D', 'P7D'], ['P14D'], []]), rand() < 0.5),
          );
          const mode = rand() < 0.5 ? 'apply-to-pending' : 'extend-only';
          const before = current();
          const replanned = before === null ? null : replanTimer(before, next, mode, `policy.${versions}`, now);
          policy = next;
          if (replanned !== null && before !== null) {
            state = replanned.state;
            told.observe(replanned.effects);
            const start = before.deletion?.startedAt ?? before.deletion?.scheduledAt ?? 0;
            // A longer delay applies to the pending deletion; nothing ever moves it before the announced date.
            expect(replanned.state.deletion?.dueAt).toBeGreaterThanOrEqual(
              Math.max(start + next.deletionDelayMs, before.deletion?.dueAt ?? 0),
            );
            expect(replanned.state.deletion?.policyVersion).toBe(next.version);
          } else if (
            before?.deletion != null &&
            before.deletion.claimedAt === null &&
            before.status !== 'active' &&
            before.status !== 'deleted'
          ) {
            // Left alone only when the new delay would not make it later.
            const start = before.deletion.startedAt ?? before.deletion.scheduledAt;
            expect(start + next.deletionDelayMs).toBeLessThanOrEqual(before.deletion.dueAt);
          }
        } else {
          // The timer job wakes when it is due to: a reminder, or the deletion.
          const waking = current();
          if (waking === null || waking.deletion === null) continue;
          now = Math.max(now, nextWake(waking.deletion, now));
          const claim = claimDeletion(waking, waking.deletion.generation, now);
          if (claim.ok) {
            expect(told.latest).not.toBeNull();
            expect(now).toBeGreaterThanOrEqual(told.latest ?? Infinity);
            state = { ...claim.state, status: 'deleted', deletion: null };
          } else if (claim.reason === 'not-due') {
            const wake = wakeBeforeDue(waking, waking.deletion, 'job', now);
            told.observe(wake.reminder === null ? [] : [wake.reminder.effect]);
          }
        }
      }
    });
  }
});

describe('planFor', () => {
  const suspended = (): Subscription => {
    const decision = decide(null, invoiceOverdue({ invoiceId: 'i1' }), tenantPolicy(base, null), T0);
    if (decision.state === null) throw new Error('suspension expected');
    return decision.state;
  };

  it('moves a pending deletion later under a longer delay, with reminders re-planned from the new date', () => {
    const plan = planFor(suspended(), tenantPolicy(base, version(1, 90, ['P30D'], false)), 'extend-only', T0 + DAY);
    expect(plan).toMatchObject({ fromDueAt: T0 + 60 * DAY, toDueAt: T0 + 90 * DAY, heldAtAnnounced: false, toReminders: [T0 + 60 * DAY] });
  });

  it('leaves a pending deletion alone under a shorter delay unless asked, and then holds it at the announced date', () => {
    const shorter = tenantPolicy(base, version(1, 30, ['P7D'], true));
    expect(planFor(suspended(), shorter, 'extend-only', T0 + DAY)).toBeNull();
    expect(planFor(suspended(), shorter, 'apply-to-pending', T0 + DAY)).toMatchObject({
      toDueAt: T0 + 60 * DAY,
      policyDueAt: T0 + 30 * DAY,
      heldAtAnnounced: true,
      toReminders: [T0 + 53 * DAY],
    });
  });

  it('gives a new suspension the tenant’s version and records it on the timer', () => {
    const decision = decide(null, invoiceOverdue({ invoiceId: 'i1' }), tenantPolicy(base, version(3, 90, ['P7D'], false)), T0);
    expect(decision.state?.deletion).toMatchObject({ dueAt: T0 + 90 * DAY, policyVersion: 3, startedAt: T0 });
  });
});

describe('widestOf', () => {
  it('spans the longest delay and grace of the environment and of every version, so no pending deletion falls outside', () => {
    const env = { deletionDelayMs: 60 * DAY, legalHoldReleaseGraceMs: 7 * DAY };
    expect(widestOf(env, [])).toEqual(env);
    expect(widestOf(env, [{ deletionDelay: 'P90D' }, { deletionDelay: 'P30D', legalHoldReleaseGrace: 'P14D' }, {}])).toEqual({
      deletionDelayMs: 90 * DAY,
      legalHoldReleaseGraceMs: 14 * DAY,
    });
  });
});
