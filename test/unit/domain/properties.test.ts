import fc from 'fast-check';
import {
  accessLevelOf,
  claimDeletion,
  completeDeletion,
  decide,
  mayAccess,
  recordProgress,
  type Command,
  type Decision,
  type Effect,
  type Instruction,
  type Millis,
  type Subscription,
} from '../../../src/domain';
import { DAY, HOUR, T0, testPolicy } from '../../support/factories';

/**
 * Random histories over two subscriptions, a few invoices and fraud cases, with deletion jobs in between.
 * Each step carries its own `now`, so a redelivery of a command is decided at the same `now` as the original.
 */

const policy = testPolicy();
const NUM_RUNS = 300;

const SUBSCRIPTIONS = [
  { subscriptionId: 'sub-a', customerId: 'cust-a', tenantId: 'tenant-1' },
  { subscriptionId: 'sub-b', customerId: 'cust-b', tenantId: 'tenant-2' },
] as const;

type CommandStep = { readonly kind: 'command'; readonly command: Command; readonly now: Millis };
/** A deletion job firing for the subscription's current timer (delta 0) or a neighbouring generation; `complete` false: it crashed after claiming. */
type DeletionStep = {
  readonly kind: 'deletion-job';
  readonly subscriptionId: string;
  readonly generationDelta: -1 | 0 | 1;
  readonly complete: boolean;
  readonly now: Millis;
};
type Step = CommandStep | DeletionStep;

const invoiceId = fc.constantFrom('inv-1', 'inv-2');
const caseId = fc.constantFrom('case-1', 'case-2');
const requester = { requestedBy: fc.constant('customer'), ticketId: fc.constantFrom(undefined, 'T-1', 'T-2') };

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
/** Weighted so that holds are often lifted again, and cancellation (which is final) is rare. */
const instructionArb: fc.Arbitrary<Instruction> = fc.oneof(
  w(
    4,
    fc.record({
      type: fc.constant('invoice-overdue'),
      invoiceId,
      amountDue: fc.constant(100),
      currency: fc.constant('EUR'),
      daysOverdue: fc.constant(14),
    }),
  ),
  w(6, fc.record({ type: fc.constant('invoice-settled'), invoiceId })),
  // Scores straddle the 0.8 threshold, including the threshold itself.
  w(3, fc.record({ type: fc.constant('fraud-detected'), caseId, score: fc.constantFrom(0.5, 0.8, 0.95) })),
  w(5, fc.record({ type: fc.constant('fraud-cleared'), caseId })),
  w(2, fc.record({ type: fc.constant('suspend-requested'), ...requester })),
  w(3, fc.record({ type: fc.constant('resume-requested'), ...requester })),
  w(1, fc.record({ type: fc.constant('cancel-requested'), ...requester })),
  w(2, fc.record({ type: fc.constant('legal-hold-set'), reason: fc.constant('litigation') })),
  w(2, fc.record({ type: fc.constant('legal-hold-released'), reason: fc.constant('settled') })),
);

/**
 * One entry of a history. The clock moves forward by `advanceHours` before each entry; a command occurred up to three days
 * (in half-day ticks, so timestamps collide) before that clock and is decided a few hours after it; a deletion job fires
 * some days after it, around the 60-day delay.
 */
const entryArb = fc.record({
  advanceHours: fc.integer({ min: 0, max: 36 }),
  subscription: fc.constantFrom(...SUBSCRIPTIONS),
  body: fc.oneof(
    w(
      6,
      fc.record({
        kind: fc.constant('command' as const),
        instruction: instructionArb,
        ageTicks: fc.integer({ min: 0, max: 6 }),
        lagHours: fc.integer({ min: 0, max: 6 }),
        // Now and then a command names the wrong customer for its subscription.
        intruder: fc.oneof(w(12, fc.constant(false)), w(1, fc.constant(true))),
      }),
    ),
    w(
      1,
      fc.record({
        kind: fc.constant('deletion-job' as const),
        generationDelta: fc.constantFrom(-1 as const, 0 as const, 0 as const, 0 as const, 1 as const),
        complete: fc.boolean(),
        delayDays: fc.constantFrom(0, 30, 59, 60, 61, 90),
      }),
    ),
  ),
});

/** Base history: commands with unique event ids, and deletion jobs. */
const historyArb: fc.Arbitrary<readonly Step[]> = fc.array(entryArb, { minLength: 1, maxLength: 40 }).map((entries) => {
  let clock = T0;
  const seen = new Set<string>();
  return entries.map(({ advanceHours, subscription, body }, index): Step => {
    clock += advanceHours * HOUR;
    const { subscriptionId } = subscription;
    if (body.kind === 'deletion-job') {
      const { generationDelta, complete, delayDays } = body;
      return { kind: 'deletion-job', subscriptionId, generationDelta, complete, now: clock + delayDays * DAY };
    }
    // An intruder never gets to create the subscription: it would own it from then on.
    const intruder = body.intruder && seen.has(subscriptionId);
    seen.add(subscriptionId);
    const occurredAt = clock - body.ageTicks * 12 * HOUR;
    const command: Command = {
      eventId: `evt-${index}`,
      occurredAt,
      subscriptionId,
      customerId: intruder ? 'cust-intruder' : subscription.customerId,
      tenantId: subscription.tenantId,
      actor: { kind: 'system', id: 'property' },
      instruction: body.instruction,
    };
    return { kind: 'command', command, now: clock + body.lagHours * HOUR };
  });
});

/** The base history with redeliveries of commands already delivered inserted at random points (immediately after, or much later). */
const redeliveredHistoryArb = fc
  .tuple(historyArb, fc.array(fc.record({ after: fc.nat(), pick: fc.nat() }), { maxLength: 20 }))
  .map(([base, insertions]) => {
    const withRedeliveries: { step: Step; redelivery: boolean }[] = [];
    base.forEach((step, index) => {
      withRedeliveries.push({ step, redelivery: false });
      const delivered = base.slice(0, index + 1).filter((s): s is CommandStep => s.kind === 'command');
      insertions
        .filter(({ after }) => after % base.length === index)
        .forEach(({ pick }) => {
          const again = delivered[pick % Math.max(delivered.length, 1)];
          if (again !== undefined) withRedeliveries.push({ step: again, redelivery: true });
        });
    });
    return { base, withRedeliveries };
  });

interface StepResult {
  readonly step: Step;
  readonly before: Subscription | null;
  readonly after: Subscription | null;
  readonly decision: Decision | null;
  /** Deletion jobs only: whether this run claimed the deletion (not a re-claim). */
  readonly claimedNow: boolean;
  readonly effects: readonly Effect[];
}

/** Plays the steps against an in-memory store, as the shell would: decide, then write the state if it changed. */
function play(steps: readonly Step[], onStep: (result: StepResult, store: ReadonlyMap<string, Subscription>) => void = () => undefined) {
  const store = new Map<string, Subscription>();
  const effects: Effect[] = [];
  for (const step of steps) {
    const result = step.kind === 'command' ? playCommand(store, step) : playDeletion(store, step);
    if (result.after !== null) store.set(subscriptionIdOf(step), result.after);
    effects.push(...result.effects);
    onStep(result, store);
  }
  return { store, effects };
}

function subscriptionIdOf(step: Step): string {
  return step.kind === 'command' ? step.command.subscriptionId : step.subscriptionId;
}

function playCommand(store: ReadonlyMap<string, Subscription>, step: CommandStep): StepResult {
  const before = store.get(step.command.subscriptionId) ?? null;
  const decision = decide(before, step.command, policy, step.now);
  const after = decision.changed ? decision.state : before;
  return { step, before, after, decision, claimedNow: false, effects: decision.effects };
}

function playDeletion(store: ReadonlyMap<string, Subscription>, step: DeletionStep): StepResult {
  const before = store.get(step.subscriptionId) ?? null;
  const claim = claimDeletion(before, (before?.timerGeneration ?? 0) + step.generationDelta, step.now);
  if (!claim.ok) return { step, before, after: before, decision: null, claimedNow: false, effects: [] };
  if (!step.complete) return { step, before, after: claim.state, decision: null, claimedNow: !claim.alreadyClaimed, effects: [] };
  const progressed = recordProgress(claim.state, { collection: 'documents', matched: 3, deleted: 3 }, step.now);
  const done = completeDeletion(progressed, `job-${step.subscriptionId}-${step.now}`, step.now);
  return { step, before, after: done.state, decision: null, claimedNow: !claim.alreadyClaimed, effects: done.effects };
}

function checkState(state: Subscription): void {
  const { status, holds, deletion } = state;
  if (status === 'active' || status === 'suspended') expect(status === 'active').toBe(holds.length === 0);
  if (status === 'active') expect(deletion).toBeNull();
  if (status === 'suspended' || status === 'cancelled') expect(deletion).not.toBeNull();
  if (deletion !== null) {
    expect(deletion.generation).toBe(state.timerGeneration);
    deletion.reminders.forEach((reminder) => {
      expect(reminder.at).toBeGreaterThan(deletion.scheduledAt);
      expect(reminder.at).toBeLessThanOrEqual(deletion.dueAt);
    });
  }
  if (status === 'deleted') {
    expect(state).toMatchObject({ holds: [], deletion: null, legalHold: null, entryClocks: [], recentEvents: [] });
    expect(state.receipt).not.toBeNull();
  }
  expect(new Set(holds.map((hold) => hold.reason)).size).toBe(holds.length);
  holds.forEach((hold) => {
    expect(new Set(hold.refs).size).toBe(hold.refs.length);
    if (hold.reason !== 'customer_request') expect(hold.refs.length).toBeGreaterThan(0);
  });
  expect(new Set(state.recentEvents).size).toBe(state.recentEvents.length);
  expect(mayAccess('user', accessLevelOf(status))).toBe(status === 'active');
  expect(mayAccess('admin', accessLevelOf(status))).toBe(status !== 'deleted');
}

describe('properties of decide and the deletion job', () => {
  it('redelivered commands change neither the final states nor the effects', () => {
    fc.assert(
      fc.property(redeliveredHistoryArb, ({ base, withRedeliveries }) => {
        // A command that found no subscription and changed nothing leaves no trace in any state (it creates none, so a
        // forged no-op cannot claim an id): redelivered after the subscription exists, it is decided as if it came late
        // for the first time. Its redelivery is the store's to recognise (the audit trail), not the state machine's.
        const traceless = new Set<string>();
        play(base, (result) => {
          if (result.step.kind === 'command' && result.before === null && result.decision?.changed === false)
            traceless.add(result.step.command.eventId);
        });
        fc.pre(
          !withRedeliveries.some(({ step, redelivery }) => redelivery && step.kind === 'command' && traceless.has(step.command.eventId)),
        );
        const once = play(base);
        const redeliveryResults: StepResult[] = [];
        let index = 0;
        const twice = play(
          withRedeliveries.map(({ step }) => step),
          (result) => {
            if (withRedeliveries[index]?.redelivery === true) redeliveryResults.push(result);
            index += 1;
          },
        );

        expect(Object.fromEntries(twice.store)).toStrictEqual(Object.fromEntries(once.store));
        expect(twice.effects).toStrictEqual(once.effects);
        redeliveryResults.forEach(({ decision, before, after }) => {
          expect(decision?.outcome).not.toBe('applied');
          expect(decision?.changed).toBe(false);
          expect(decision?.effects).toEqual([]);
          expect(after).toBe(before);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('invariants hold after every step', () => {
    fc.assert(
      fc.property(redeliveredHistoryArb, ({ withRedeliveries }) => {
        const applied = new Set<string>();
        const claimed = new Set<string>();
        const scheduled = new Map<string, Set<number>>();

        play(
          withRedeliveries.map(({ step }) => step),
          ({ step, before, after, decision, claimedNow, effects }, store) => {
            store.forEach(checkState);
            const subscriptionId = subscriptionIdOf(step);

            if (decision !== null && step.kind === 'command') {
              expect(decision.audit).toMatchObject({ eventId: step.command.eventId, outcome: decision.outcome });
              expect(decision.audit.reason).toMatch(/\S/);
              if (decision.outcome === 'applied') {
                expect(applied.has(step.command.eventId)).toBe(false);
                applied.add(step.command.eventId);
              }
              if (decision.outcome !== 'applied' && before !== null) expect(after).toBe(before);
            }

            if (claimedNow) {
              // A claim only ever takes a held (suspended or cancelled) subscription whose timer is due and not under legal hold.
              expect(before?.status).not.toBe('active');
              expect(['suspended', 'cancelled']).toContain(before?.status);
              expect(before?.legalHold).toBeNull();
              expect(step.now).toBeGreaterThanOrEqual(before?.deletion?.dueAt ?? Infinity);
              claimed.add(subscriptionId);
            }
            // Once claimed, no command changes the subscription, and only the deletion job moves it on.
            if (claimed.has(subscriptionId) && step.kind === 'command') expect(after).toBe(before);
            if (claimed.has(subscriptionId)) expect(['suspended', 'cancelled', 'deleted']).toContain(after?.status);
            // Cancellation is final: a cancelled subscription is never reactivated.
            if (before?.status === 'cancelled') expect(['cancelled', 'deleted']).toContain(after?.status);

            const generations = scheduled.get(subscriptionId) ?? new Set<number>();
            scheduled.set(subscriptionId, generations);
            effects.forEach((effect) => {
              if (effect.kind === 'schedule-deletion') {
                expect(effect.generation).toBe(after?.deletion?.generation);
                expect(generations.has(effect.generation)).toBe(false);
                generations.add(effect.generation);
              } else if (effect.kind === 'cancel-deletion') {
                expect(generations.has(effect.generation)).toBe(true);
                expect(effect.generation).not.toBe(after?.deletion?.generation);
              } else {
                expect(effect.event.subscriptionId).toBe(subscriptionId);
                expect(effect.event.status).toBe(after?.status);
                expect(effect.event.accessLevel).toBe(accessLevelOf(effect.event.status));
              }
            });
          },
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
