import {
  accessLevelOf,
  claimDeletion,
  completeDeletion,
  eventFingerprint,
  alreadyApplied,
  decide,
  type Command,
  type Decision,
  type Effect,
  type InstructionType,
  type Millis,
  type Outcome,
  type Status,
  type Subscription,
} from '../../../src/domain';
import {
  CUSTOMER_ID,
  DAY,
  HOUR,
  OPERATOR_ACTOR,
  INSTRUCTION_TYPES,
  SUBSCRIPTION_ID,
  T0,
  TENANT_ID,
  aSubscription,
  cancelRequested,
  fraudCleared,
  fraudDetected,
  invoiceOverdue,
  invoiceSettled,
  legalHoldReleased,
  legalHoldSet,
  replay,
  resumeRequested,
  suspendRequested,
  testPolicy,
} from '../../support/factories';

const policy = testPolicy();
const DELAY = 60 * DAY;
const GRACE = 7 * DAY;

/** When the command under test is decided; fixtures are built at T0. */
const NOW = T0 + 10 * DAY;

function holdsOf(state: Subscription | null): Record<string, readonly string[]> {
  return Object.fromEntries((state?.holds ?? []).map((hold) => [hold.reason, hold.refs]));
}

/** `schedule-deletion`, `cancel-deletion`, or the type of the published lifecycle event. */
function effectNames(decision: Decision): string[] {
  return decision.effects.map((effect) => (effect.kind === 'publish' ? effect.event.type : effect.kind));
}

function effectOfKind<K extends Effect['kind']>(decision: Decision, kind: K): Extract<Effect, { kind: K }>[] {
  return decision.effects.filter((effect): effect is Extract<Effect, { kind: K }> => effect.kind === kind);
}

function published(decision: Decision, type: string) {
  const found = effectOfKind(decision, 'publish').find((effect) => effect.event.type === type);
  if (found === undefined) throw new Error(`no ${type} published; effects: ${effectNames(decision).join(', ')}`);
  return found.event;
}

function stateOf(decision: Decision): Subscription {
  if (decision.state === null) throw new Error(`decision has no state: ${decision.outcome} ${decision.audit.reason}`);
  return decision.state;
}

function claimed(state: Subscription, generation: number, now: Millis): Subscription {
  const result = claimDeletion(state, generation, now);
  if (!result.ok) throw new Error(`claim refused: ${result.reason}`);
  return result.state;
}

function remindersFor(dueAt: Millis, offsets: readonly (readonly [string, number])[]) {
  return offsets.map(([offset, days]) => ({ offset, at: dueAt - days * DAY }));
}
const ALL_REMINDERS = [
  ['P30D', 30],
  ['P7D', 7],
  ['P1D', 1],
] as const;

// Fixtures: one subscription in each status. The suspended and cancelled ones carry all three holds,
// so that lifting one of them shows the others keep the subscription where it is.
const active = aSubscription();
const suspended = replay(
  [
    invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 }),
    fraudDetected({ caseId: 'case-1', occurredAt: T0 }),
    suspendRequested({ ticketId: 'T-1', occurredAt: T0 }),
  ],
  { from: active },
);
const cancelled = replay([cancelRequested({ occurredAt: T0 + DAY })], { from: suspended });
const claimedDeletion = claimed(suspended, 1, T0 + DELAY);
const deleted = completeDeletion(claimedDeletion, 'job-1', T0 + DELAY).state;

describe('fixtures', () => {
  it('are in the states the tables below assume', () => {
    expect(active.status).toBe('active');
    expect(suspended).toMatchObject({ status: 'suspended', timerGeneration: 1, deletion: { generation: 1, dueAt: T0 + DELAY } });
    expect(holdsOf(suspended)).toEqual({ nonpayment: ['inv-1'], fraud: ['case-1'], customer_request: ['T-1'] });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelledAt: T0 + DAY, deletion: { generation: 1, dueAt: T0 + DELAY } });
    expect(claimedDeletion.deletion?.claimedAt).toBe(T0 + DELAY);
    expect(deleted.status).toBe('deleted');
  });
});

describe('decide: every status × every instruction', () => {
  const at = { occurredAt: NOW - HOUR };
  const commandFor: { readonly [T in InstructionType]: () => Command } = {
    'invoice-overdue': () => invoiceOverdue({ invoiceId: 'inv-2', ...at }),
    'invoice-settled': () => invoiceSettled({ invoiceId: 'inv-1', ...at }),
    'fraud-detected': () => fraudDetected({ caseId: 'case-2', score: 0.95, ...at }),
    'fraud-cleared': () => fraudCleared({ caseId: 'case-1', ...at }),
    'suspend-requested': () => suspendRequested({ ticketId: 'T-2', ...at }),
    'resume-requested': () => resumeRequested(at),
    'cancel-requested': () => cancelRequested(at),
    'legal-hold-set': () => legalHoldSet(at),
    'legal-hold-released': () => legalHoldReleased(at),
  };

  interface Expected {
    readonly status: Status;
    readonly holds: Record<string, readonly string[]>;
    /** `unchanged`: the fixture's timer, as it was. */
    readonly deletion: 'unchanged' | null | { readonly generation: number; readonly dueAt: Millis };
    readonly legalHold: boolean;
    readonly effects: readonly string[];
    readonly reason: string;
  }

  const suspendsWith = (holds: Expected['holds'], reason: string): Expected => ({
    status: 'suspended',
    holds,
    deletion: { generation: 1, dueAt: NOW + DELAY },
    legalHold: false,
    effects: ['subscription.hold-added', 'subscription.suspended', 'schedule-deletion', 'subscription.deletion-scheduled'],
    reason: `hold-added:${reason}; suspended; deletion-scheduled`,
  });
  const ALL_HOLDS = { nonpayment: ['inv-1'], fraud: ['case-1'], customer_request: ['T-1'] };
  const activeNoChange: Expected = { status: 'active', holds: {}, deletion: null, legalHold: false, effects: [], reason: 'no-change' };

  /** From suspended and cancelled, holds change the same way; only the status differs. */
  const heldTable = (status: Status): Record<InstructionType, Expected> => {
    const same = (holds: Expected['holds'], effects: readonly string[], reason: string): Expected => ({
      status,
      holds,
      deletion: 'unchanged',
      legalHold: false,
      effects,
      reason,
    });
    return {
      'invoice-overdue': same({ ...ALL_HOLDS, nonpayment: ['inv-1', 'inv-2'] }, [], 'hold-refs-changed'),
      'invoice-settled': same({ fraud: ['case-1'], customer_request: ['T-1'] }, ['subscription.hold-lifted'], 'hold-lifted:nonpayment'),
      'fraud-detected': same({ ...ALL_HOLDS, fraud: ['case-1', 'case-2'] }, [], 'hold-refs-changed'),
      'fraud-cleared': same({ nonpayment: ['inv-1'], customer_request: ['T-1'] }, ['subscription.hold-lifted'], 'hold-lifted:fraud'),
      'suspend-requested': same({ ...ALL_HOLDS, customer_request: ['T-1', 'T-2'] }, [], 'hold-refs-changed'),
      'resume-requested': same({ nonpayment: ['inv-1'], fraud: ['case-1'] }, ['subscription.hold-lifted'], 'hold-lifted:customer_request'),
      'cancel-requested':
        status === 'cancelled'
          ? same(ALL_HOLDS, [], 'no-change')
          : { ...same(ALL_HOLDS, ['subscription.cancelled'], 'cancelled'), status: 'cancelled' },
      'legal-hold-set': { ...same(ALL_HOLDS, [], 'legal-hold-set'), legalHold: true },
      'legal-hold-released': same(ALL_HOLDS, [], 'no-change'),
    };
  };

  const EXPECTED: Record<'active' | 'suspended' | 'cancelled', Record<InstructionType, Expected>> = {
    active: {
      'invoice-overdue': suspendsWith({ nonpayment: ['inv-2'] }, 'nonpayment'),
      'invoice-settled': activeNoChange,
      'fraud-detected': suspendsWith({ fraud: ['case-2'] }, 'fraud'),
      'fraud-cleared': activeNoChange,
      'suspend-requested': suspendsWith({ customer_request: ['T-2'] }, 'customer_request'),
      'resume-requested': activeNoChange,
      'cancel-requested': {
        status: 'cancelled',
        holds: {},
        deletion: { generation: 1, dueAt: NOW + DELAY },
        legalHold: false,
        effects: ['subscription.cancelled', 'schedule-deletion', 'subscription.deletion-scheduled'],
        reason: 'cancelled; deletion-scheduled',
      },
      'legal-hold-set': { ...activeNoChange, legalHold: true, reason: 'legal-hold-set' },
      'legal-hold-released': activeNoChange,
    },
    suspended: heldTable('suspended'),
    cancelled: heldTable('cancelled'),
  };
  const FIXTURES = { active, suspended, cancelled } as const;

  describe.each(['active', 'suspended', 'cancelled'] as const)('from %s', (from) => {
    it.each(INSTRUCTION_TYPES)('%s', (type) => {
      const before = FIXTURES[from];
      const command = commandFor[type]();
      const expected = EXPECTED[from][type];

      const decision = decide(before, command, policy, NOW);
      const after = stateOf(decision);

      expect(decision.outcome).toBe('applied');
      expect(decision.changed).toBe(true);
      expect(after.status).toBe(expected.status);
      expect(holdsOf(after)).toEqual(expected.holds);
      if (expected.deletion === 'unchanged') expect(after.deletion).toEqual(before.deletion);
      else if (expected.deletion === null) expect(after.deletion).toBeNull();
      else expect(after.deletion).toMatchObject({ ...expected.deletion, scheduledAt: NOW, claimedAt: null });
      expect(after.legalHold !== null).toBe(expected.legalHold);
      expect(effectNames(decision)).toEqual(expected.effects);
      expect(decision.audit).toMatchObject({
        outcome: 'applied',
        reason: expected.reason,
        statusBefore: from,
        statusAfter: expected.status,
      });
      expect(after.recentEvents.at(-1)).toBe(eventFingerprint(command.eventId));
      expect(after.updatedAt).toBe(NOW);
    });
  });

  describe.each([
    ['claimed for deletion', claimedDeletion, 'deletion-in-progress'],
    ['deleted', deleted, 'subscription-deleted'],
  ] as const)('from %s', (_label, before, reason) => {
    it.each(INSTRUCTION_TYPES)('%s is ignored and changes nothing', (type) => {
      const decision = decide(before, commandFor[type](), policy, NOW);

      expect(decision.outcome).toBe('ignored');
      expect(decision.changed).toBe(false);
      expect(decision.state).toBe(before);
      expect(decision.effects).toEqual([]);
      expect(decision.audit).toMatchObject({ outcome: 'ignored', reason, statusBefore: before.status, statusAfter: before.status });
    });
  });
});

describe('decide: reactivation', () => {
  it.each([
    ['nonpayment', invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 }), invoiceSettled({ invoiceId: 'inv-1', occurredAt: NOW })],
    ['fraud', fraudDetected({ caseId: 'case-1', occurredAt: T0 }), fraudCleared({ caseId: 'case-1', occurredAt: NOW })],
    ['customer_request', suspendRequested({ ticketId: 'T-1', occurredAt: T0 }), resumeRequested({ occurredAt: NOW })],
  ] as const)('lifting the last %s hold reactivates and cancels the deletion timer', (reason, hold, lift) => {
    const held = replay([hold]);

    const decision = decide(held, lift, policy, NOW);
    const after = stateOf(decision);

    expect(after).toMatchObject({ status: 'active', holds: [], deletion: null, timerGeneration: 1 });
    expect(effectNames(decision)).toEqual([
      'subscription.hold-lifted',
      'subscription.reactivated',
      'cancel-deletion',
      'subscription.deletion-cancelled',
    ]);
    expect(effectOfKind(decision, 'cancel-deletion')).toEqual([
      { kind: 'cancel-deletion', subscriptionId: SUBSCRIPTION_ID, generation: 1, reminders: held.deletion?.reminders },
    ]);
    expect(published(decision, 'subscription.hold-lifted').holdReason).toBe(reason);
    expect(published(decision, 'subscription.reactivated')).toMatchObject({ status: 'active', accessLevel: 'full', deletionDueAt: null });
    expect(decision.audit.reason).toBe(`hold-lifted:${reason}; reactivated; deletion-cancelled`);
  });
});

describe('decide: holds stack', () => {
  it('a settled invoice does not lift a fraud hold', () => {
    const state = replay([
      invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 }),
      fraudDetected({ caseId: 'case-1', occurredAt: T0 + HOUR }),
    ]);

    const decision = decide(state, invoiceSettled({ invoiceId: 'inv-1', occurredAt: NOW }), policy, NOW);

    expect(stateOf(decision).status).toBe('suspended');
    expect(holdsOf(decision.state)).toEqual({ fraud: ['case-1'] });
    expect(stateOf(decision).deletion).toEqual(state.deletion);
    expect(effectNames(decision)).toEqual(['subscription.hold-lifted']);
    expect(published(decision, 'subscription.hold-lifted')).toMatchObject({ holdReason: 'nonpayment', status: 'suspended' });
  });

  it('two overdue invoices must both be settled', () => {
    const state = replay([invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 }), invoiceOverdue({ invoiceId: 'inv-2', occurredAt: T0 })]);
    expect(holdsOf(state)).toEqual({ nonpayment: ['inv-1', 'inv-2'] });

    const first = decide(state, invoiceSettled({ invoiceId: 'inv-1', occurredAt: NOW }), policy, NOW);
    expect(stateOf(first).status).toBe('suspended');
    expect(holdsOf(first.state)).toEqual({ nonpayment: ['inv-2'] });
    expect(first.effects).toEqual([]);
    expect(first.audit.reason).toBe('hold-refs-changed');

    const second = decide(stateOf(first), invoiceSettled({ invoiceId: 'inv-2', occurredAt: NOW }), policy, NOW + HOUR);
    expect(stateOf(second).status).toBe('active');
    expect(effectNames(second)).toContain('cancel-deletion');
  });

  it('two open fraud cases must both be cleared', () => {
    const state = replay([fraudDetected({ caseId: 'case-1', occurredAt: T0 }), fraudDetected({ caseId: 'case-2', occurredAt: T0 })]);

    const first = stateOf(decide(state, fraudCleared({ caseId: 'case-2', occurredAt: NOW }), policy, NOW));
    expect(first.status).toBe('suspended');
    expect(holdsOf(first)).toEqual({ fraud: ['case-1'] });

    expect(stateOf(decide(first, fraudCleared({ caseId: 'case-1', occurredAt: NOW }), policy, NOW)).status).toBe('active');
  });

  it('resuming a customer hold leaves a nonpayment hold in place', () => {
    const state = replay([suspendRequested({ occurredAt: T0 }), invoiceOverdue({ occurredAt: T0 })]);

    const after = stateOf(decide(state, resumeRequested({ occurredAt: NOW }), policy, NOW));

    expect(after.status).toBe('suspended');
    expect(holdsOf(after)).toEqual({ nonpayment: ['inv-1'] });
  });

  it('a customer hold is one hold: resume lifts it whatever tickets it carries', () => {
    const state = replay([suspendRequested({ ticketId: 'T-1', occurredAt: T0 }), suspendRequested({ ticketId: 'T-2', occurredAt: T0 })]);
    expect(holdsOf(state)).toEqual({ customer_request: ['T-1', 'T-2'] });

    expect(stateOf(decide(state, resumeRequested({ occurredAt: NOW }), policy, NOW)).status).toBe('active');
  });

  it('the same invoice reported overdue twice (two event ids) is one ref', () => {
    const state = replay([invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 })]);

    const decision = decide(state, invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 + DAY }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(holdsOf(decision.state)).toEqual({ nonpayment: ['inv-1'] });
    expect(decision.effects).toEqual([]);
    expect(decision.audit.reason).toBe('no-change');
  });

  it('a hold records when it was first placed, by the clock of the decision', () => {
    const state = replay([
      invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 }),
      invoiceOverdue({ invoiceId: 'inv-2', occurredAt: T0 + DAY }),
    ]);

    expect(state.holds).toEqual([{ reason: 'nonpayment', since: T0, refs: ['inv-1', 'inv-2'] }]);
  });
});

describe('decide: deletion timer', () => {
  it('is due at now + delay, not at occurredAt + delay', () => {
    const decision = decide(active, invoiceOverdue({ occurredAt: NOW - 5 * DAY }), policy, NOW);

    expect(stateOf(decision).deletion).toEqual({
      generation: 1,
      dueAt: NOW + DELAY,
      scheduledAt: NOW,
      startedAt: NOW,
      policyVersion: 0,
      reminders: remindersFor(NOW + DELAY, ALL_REMINDERS),
      claimedAt: null,
      progress: [],
    });
    expect(effectOfKind(decision, 'schedule-deletion')).toEqual([
      {
        kind: 'schedule-deletion',
        subscriptionId: SUBSCRIPTION_ID,
        generation: 1,
        dueAt: NOW + DELAY,
        reminders: remindersFor(NOW + DELAY, ALL_REMINDERS),
      },
    ]);
    expect(published(decision, 'subscription.deletion-scheduled').deletionDueAt).toBe(NOW + DELAY);
  });

  it('is not moved by further holds', () => {
    const state = replay([invoiceOverdue({ occurredAt: T0 })]);

    const after = replay([fraudDetected({ occurredAt: T0 + 20 * DAY }), suspendRequested({ occurredAt: T0 + 30 * DAY })], { from: state });

    expect(after.deletion).toEqual(state.deletion);
    expect(after.timerGeneration).toBe(1);
  });

  it('a new suspension after reactivation starts a new timer with the next generation', () => {
    const reactivated = replay([
      invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 }),
      invoiceSettled({ invoiceId: 'inv-1', occurredAt: T0 + 5 * DAY }),
    ]);
    expect(reactivated).toMatchObject({ status: 'active', deletion: null, timerGeneration: 1 });

    const decision = decide(reactivated, invoiceOverdue({ invoiceId: 'inv-2', occurredAt: T0 + 20 * DAY }), policy, T0 + 20 * DAY);

    expect(stateOf(decision)).toMatchObject({ timerGeneration: 2, deletion: { generation: 2, dueAt: T0 + 20 * DAY + DELAY } });
    expect(effectOfKind(decision, 'schedule-deletion')).toMatchObject([{ generation: 2, dueAt: T0 + 20 * DAY + DELAY }]);
  });

  it('cancelling a suspended subscription keeps the due date and schedules nothing new', () => {
    const state = replay([invoiceOverdue({ occurredAt: T0 })]);

    const decision = decide(state, cancelRequested({ occurredAt: NOW }), policy, NOW);

    expect(stateOf(decision)).toMatchObject({ status: 'cancelled', cancelledAt: NOW, deletion: state.deletion, timerGeneration: 1 });
    expect(effectNames(decision)).toEqual(['subscription.cancelled']);
    expect(published(decision, 'subscription.cancelled')).toMatchObject({ accessLevel: 'admins-only', deletionDueAt: T0 + DELAY });
  });

  it('cancelling an active subscription sets a due date at now + delay, with the next generation', () => {
    const reactivated = replay([invoiceOverdue({ occurredAt: T0 }), invoiceSettled({ occurredAt: T0 + DAY })]);

    const decision = decide(reactivated, cancelRequested({ occurredAt: NOW - DAY }), policy, NOW);

    expect(stateOf(decision)).toMatchObject({
      status: 'cancelled',
      cancelledAt: NOW,
      timerGeneration: 2,
      deletion: { generation: 2, dueAt: NOW + DELAY },
    });
    expect(effectOfKind(decision, 'schedule-deletion')).toMatchObject([{ generation: 2, dueAt: NOW + DELAY }]);
  });

  it('a cancelled subscription never reactivates, but its holds still update', () => {
    const decisions: Decision[] = [];
    const after = [
      invoiceSettled({ invoiceId: 'inv-1', occurredAt: NOW }),
      fraudCleared({ caseId: 'case-1', occurredAt: NOW }),
      resumeRequested({ occurredAt: NOW }),
    ].reduce((state, command) => {
      const decision = decide(state, command, policy, NOW);
      decisions.push(decision);
      return stateOf(decision);
    }, cancelled);

    expect(after).toMatchObject({ status: 'cancelled', holds: [], deletion: cancelled.deletion, cancelledAt: cancelled.cancelledAt });
    expect(decisions.flatMap(effectNames)).toEqual(['subscription.hold-lifted', 'subscription.hold-lifted', 'subscription.hold-lifted']);
    expect(decisions.map((decision) => decision.audit.statusAfter)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('a new hold on a cancelled subscription is recorded without suspending or rescheduling', () => {
    const emptyCancelled = replay([cancelRequested({ occurredAt: T0 })]);

    const decision = decide(emptyCancelled, invoiceOverdue({ occurredAt: NOW }), policy, NOW);

    expect(stateOf(decision)).toMatchObject({ status: 'cancelled', deletion: emptyCancelled.deletion });
    expect(holdsOf(decision.state)).toEqual({ nonpayment: ['inv-1'] });
    expect(effectNames(decision)).toEqual(['subscription.hold-added']);
  });
});

describe('decide: reminders', () => {
  it('a 60-day timer gets a reminder 30, 7 and 1 days before deletion', () => {
    const state = stateOf(decide(active, invoiceOverdue({ occurredAt: NOW }), policy, NOW));

    expect(state.deletion?.reminders).toEqual([
      { offset: 'P30D', at: NOW + 30 * DAY },
      { offset: 'P7D', at: NOW + 53 * DAY },
      { offset: 'P1D', at: NOW + 59 * DAY },
    ]);
  });

  it.each([
    ['P10D', ['P7D', 'P1D']],
    ['P7D', ['P1D']],
    ['PT12H', []],
  ] as const)('a %s timer only gets the reminders still in the future (%j)', (deletionDelay, offsets) => {
    const short = testPolicy({ deletionDelay });

    const decision = decide(active, invoiceOverdue({ occurredAt: NOW }), short, NOW);
    const timer = stateOf(decision).deletion;

    expect(timer?.dueAt).toBe(NOW + short.deletionDelayMs);
    expect(timer?.reminders).toEqual(
      remindersFor(
        NOW + short.deletionDelayMs,
        ALL_REMINDERS.filter(([offset]) => offsets.some((o) => o === offset)),
      ),
    );
    expect(effectOfKind(decision, 'schedule-deletion')[0]?.reminders).toEqual(timer?.reminders);
  });
});

describe('decide: legal hold', () => {
  const suspendedAtT0 = replay([invoiceOverdue({ occurredAt: T0 })]);

  it('is recorded with its reason, the operator and the time; access and deletion timer are untouched', () => {
    const command = legalHoldSet({ reason: 'subpoena', occurredAt: T0 + DAY, actor: { kind: 'operator', id: 'legal-carol' } });

    const decision = decide(suspendedAtT0, command, policy, T0 + 2 * DAY);

    expect(stateOf(decision)).toMatchObject({
      status: 'suspended',
      legalHold: { reason: 'subpoena', actor: 'legal-carol', since: T0 + 2 * DAY },
      deletion: suspendedAtT0.deletion,
    });
    expect(decision.effects).toEqual([]);
  });

  it('a second legal hold keeps the first', () => {
    const held = replay([legalHoldSet({ reason: 'first', occurredAt: T0 + DAY })], { from: suspendedAtT0 });

    const decision = decide(held, legalHoldSet({ reason: 'second', occurredAt: T0 + 2 * DAY }), policy, T0 + 2 * DAY);

    expect(stateOf(decision).legalHold).toEqual(held.legalHold);
    expect(decision.audit.reason).toBe('no-change');
  });

  it('blocks neither suspension nor reactivation', () => {
    const held = replay([legalHoldSet({ occurredAt: T0 })]);

    const suspendedUnderHold = decide(held, invoiceOverdue({ occurredAt: T0 + DAY }), policy, T0 + DAY);
    expect(stateOf(suspendedUnderHold)).toMatchObject({ status: 'suspended', deletion: { dueAt: T0 + DAY + DELAY } });
    expect(effectNames(suspendedUnderHold)).toContain('schedule-deletion');

    const reactivated = decide(stateOf(suspendedUnderHold), invoiceSettled({ occurredAt: T0 + 2 * DAY }), policy, T0 + 2 * DAY);
    expect(stateOf(reactivated)).toMatchObject({ status: 'active', deletion: null, legalHold: held.legalHold });
    expect(effectNames(reactivated)).toContain('cancel-deletion');
  });

  it('released without a deletion timer, it only clears the hold', () => {
    const held = replay([legalHoldSet({ occurredAt: T0 })]);

    const decision = decide(held, legalHoldReleased({ occurredAt: NOW }), policy, NOW);

    expect(stateOf(decision)).toMatchObject({ legalHold: null, deletion: null, timerGeneration: 0 });
    expect(decision.effects).toEqual([]);
    expect(decision.audit.reason).toBe('legal-hold-released');
  });

  // The suspension at T0 makes the original due date T0 + 60 days.
  it.each([
    ['well before the due date: the original date stands', 10, 60, ['P30D', 'P7D', 'P1D']],
    ['within the grace period of the due date: due at release + grace', 55, 62, ['P1D']],
    ['after the due date passed: due at release + grace', 70, 77, ['P1D']],
    ['exactly grace before the due date: both agree', 53, 60, ['P1D']],
  ] as const)('released %s', (_label, releaseDay, dueDay, offsets) => {
    const held = replay([legalHoldSet({ occurredAt: T0 + DAY })], { from: suspendedAtT0 });
    const releasedAt = T0 + releaseDay * DAY;
    const command = legalHoldReleased({ occurredAt: releasedAt - HOUR });

    const decision = decide(held, command, policy, releasedAt);
    const after = stateOf(decision);
    const dueAt = T0 + dueDay * DAY;
    const reminders = remindersFor(dueAt, ALL_REMINDERS).filter((reminder) => offsets.some((offset) => offset === reminder.offset));

    expect(dueAt).toBe(Math.max(T0 + DELAY, releasedAt + GRACE));
    expect(after).toMatchObject({ status: 'suspended', legalHold: null, timerGeneration: 2 });
    expect(after.deletion).toEqual({
      generation: 2,
      dueAt,
      scheduledAt: releasedAt,
      startedAt: T0,
      policyVersion: 0,
      reminders,
      claimedAt: null,
      progress: [],
    });
    expect(effectNames(decision)).toEqual(['cancel-deletion', 'schedule-deletion', 'subscription.deletion-scheduled']);
    expect(decision.effects.slice(0, 2)).toEqual([
      { kind: 'cancel-deletion', subscriptionId: SUBSCRIPTION_ID, generation: 1, reminders: held.deletion?.reminders },
      { kind: 'schedule-deletion', subscriptionId: SUBSCRIPTION_ID, generation: 2, dueAt, reminders },
    ]);
    expect(published(decision, 'subscription.deletion-scheduled')).toMatchObject({ status: 'suspended', deletionDueAt: dueAt });
    expect(decision.audit.reason).toBe('legal-hold-released; deletion-rescheduled');
  });

  it('released on a cancelled subscription, reschedules its timer and stays cancelled', () => {
    const held = replay([cancelRequested({ occurredAt: T0 }), legalHoldSet({ occurredAt: T0 + DAY })]);

    const decision = decide(held, legalHoldReleased({ occurredAt: T0 + 70 * DAY }), policy, T0 + 70 * DAY);

    expect(stateOf(decision)).toMatchObject({ status: 'cancelled', deletion: { generation: 2, dueAt: T0 + 77 * DAY } });
  });
});

describe('decide: staleness is judged per hold entry', () => {
  it('a settlement that overtook its older overdue notice keeps the subscription active', () => {
    const settled = stateOf(decide(active, invoiceSettled({ invoiceId: 'inv-1', occurredAt: T0 + 2 * HOUR }), policy, NOW));
    expect(settled.status).toBe('active');

    const late = decide(settled, invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 + HOUR }), policy, NOW + HOUR);

    expect(late.outcome).toBe('stale');
    expect(late.state).toBe(settled);
    expect(late.changed).toBe(false);
    expect(late.effects).toEqual([]);
    expect(late.audit.reason).toMatch(/^stale: nonpayment\/inv-1 /);
  });

  it('an event newer than the last one for its entry applies', () => {
    const settled = replay([invoiceOverdue({ occurredAt: T0 }), invoiceSettled({ occurredAt: T0 + DAY })]);

    const again = decide(settled, invoiceOverdue({ occurredAt: T0 + 2 * DAY }), policy, T0 + 2 * DAY);

    expect(again.outcome).toBe('applied');
    expect(stateOf(again).status).toBe('suspended');
  });

  it('an old event for another invoice is not stale', () => {
    const state = replay([invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 + DAY })]);

    const decision = decide(state, invoiceOverdue({ invoiceId: 'inv-2', occurredAt: T0 }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(holdsOf(decision.state)).toEqual({ nonpayment: ['inv-1', 'inv-2'] });
  });

  it('an old invoice event is not stale because of a newer fraud event', () => {
    const state = replay([fraudDetected({ occurredAt: T0 + DAY })]);

    expect(decide(state, invoiceOverdue({ occurredAt: T0 }), policy, NOW).outcome).toBe('applied');
  });

  it('equal timestamps are not stale', () => {
    const state = replay([invoiceOverdue({ occurredAt: T0 })]);

    const decision = decide(state, invoiceSettled({ occurredAt: T0 }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(stateOf(decision).status).toBe('active');
  });

  it.each([
    [
      'fraud case',
      fraudCleared({ caseId: 'case-1', occurredAt: T0 + DAY }),
      fraudDetected({ caseId: 'case-1', occurredAt: T0 }),
      /^stale: fraud\/case-1 /,
    ],
    ['customer hold', resumeRequested({ occurredAt: T0 + DAY }), suspendRequested({ occurredAt: T0 }), /^stale: customer_request /],
  ] as const)('an older event that adds to the same %s is stale', (_label, newer, older, reason) => {
    const state = replay([newer]);

    const decision = decide(state, older, policy, NOW);

    expect(decision.outcome).toBe('stale');
    expect(decision.state).toBe(state);
    expect(decision.audit.reason).toMatch(reason);
  });

  it('an operator acts now: a manual command behind a future-dated upstream event is applied, and the entry clock keeps the later time', () => {
    const state = replay([suspendRequested({ occurredAt: T0 + DAY })]);

    const decision = decide(state, resumeRequested({ occurredAt: T0, actor: OPERATOR_ACTOR }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(stateOf(decision).status).toBe('active');
    expect(stateOf(decision).entryClocks).toContainEqual({ key: 'customer_request', at: T0 + DAY });
    expect(decide(stateOf(decision), suspendRequested({ occurredAt: T0 + HOUR }), policy, NOW).outcome).toBe('stale');
  });

  it('cancellation is never stale', () => {
    const state = replay([
      invoiceOverdue({ occurredAt: T0 + DAY }),
      suspendRequested({ occurredAt: T0 + DAY }),
      legalHoldSet({ occurredAt: T0 + DAY }),
    ]);

    const decision = decide(state, cancelRequested({ occurredAt: T0 - 365 * DAY }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(stateOf(decision).status).toBe('cancelled');
  });

  it('a cancellation older than an earlier cancellation is not stale either', () => {
    const state = replay([cancelRequested({ occurredAt: T0 + DAY })]);

    const decision = decide(state, cancelRequested({ occurredAt: T0 }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(decision.audit.reason).toBe('no-change');
    expect(stateOf(decision).cancelledAt).toBe(state.cancelledAt);
  });

  it('each applied event moves its entry clock to its occurredAt', () => {
    const state = replay(
      [
        invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 }),
        fraudDetected({ caseId: 'case-1', occurredAt: T0 + HOUR }),
        invoiceSettled({ invoiceId: 'inv-1', occurredAt: T0 + DAY }),
      ],
      {
        now: () => NOW,
      },
    );

    expect(state.entryClocks).toEqual(
      expect.arrayContaining([
        { key: 'nonpayment/inv-1', at: T0 + DAY },
        { key: 'fraud/case-1', at: T0 + HOUR },
      ]),
    );
    expect(state.entryClocks).toHaveLength(2);
  });
});

describe('decide: ordering within a hold entry (log order first, clocks only against an added hold)', () => {
  const MINUTE = HOUR / 60;
  const at = (offset: number, partition = 0, topic = 'billing.payments.v1') => ({ topic, partition, offset: String(offset) });
  const replayedFrom = (offset: number, partition = 0) => ({ position: at(offset, partition), replayed: true });

  it.each([
    ['an overdue notice', invoiceOverdue({ occurredAt: NOW + 55 * MINUTE }), invoiceSettled({ occurredAt: NOW }), 'nonpayment'],
    ['a fraud detection', fraudDetected({ occurredAt: NOW + 55 * MINUTE }), fraudCleared({ occurredAt: NOW }), 'fraud'],
    ['a suspension request', suspendRequested({ occurredAt: NOW + 55 * MINUTE }), resumeRequested({ occurredAt: NOW }), 'customer_request'],
  ] as const)('a producer clock 55 minutes fast on %s cannot make the real lift after it stale', (_name, fast, lift, reason) => {
    const held = stateOf(decide(active, fast, policy, NOW));
    expect(held.status).toBe('suspended');

    const decision = decide(held, lift, policy, NOW + MINUTE);

    expect(decision.outcome).toBe('applied');
    expect(stateOf(decision)).toMatchObject({ status: 'active', holds: [], deletion: null });
    expect(effectNames(decision)).toEqual([
      'subscription.hold-lifted',
      'subscription.reactivated',
      'cancel-deletion',
      'subscription.deletion-cancelled',
    ]);
    expect(decision.audit.reason).toBe(`hold-lifted:${reason}; reactivated; deletion-cancelled`);
  });

  it('a lift received live is never stale, however old its occurredAt', () => {
    const held = replay([invoiceOverdue({ occurredAt: T0 + DAY, position: at(5) })]);

    const decision = decide(held, invoiceSettled({ occurredAt: T0 - 300 * DAY, position: at(6) }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(stateOf(decision).status).toBe('active');
    // The entry keeps the later claim and the later place: an older notice coming late is still stale.
    expect(stateOf(decision).entryClocks).toEqual([{ key: 'nonpayment/inv-1', at: T0 + DAY, position: at(6) }]);
    expect(decide(stateOf(decision), invoiceOverdue({ occurredAt: T0 + HOUR, position: at(7) }), policy, NOW).outcome).toBe('stale');
  });

  it('a settlement redelivered after a crash cannot lift the notice logged after it, though it left no trace the first time', () => {
    // Offset 5: the settlement finds no subscription and is ignored (nothing is stored, so no duplicate check can catch
    // it again); offset 9: the notice; then the worker crashes before committing offset 5 and the partition redelivers.
    const settlement = invoiceSettled({ occurredAt: T0, position: at(5) });
    expect(decide(null, settlement, policy, NOW).state).toBeNull();
    const held = stateOf(decide(null, invoiceOverdue({ occurredAt: T0 + MINUTE, position: at(9) }), policy, NOW));

    const redelivered = decide(held, settlement, policy, NOW);

    expect(redelivered.outcome).toBe('stale');
    expect(redelivered.audit.reason).toContain('a redelivery');
    expect(stateOf(redelivered)).toMatchObject({ status: 'suspended', holds: [{ reason: 'nonpayment', refs: ['inv-1'] }] });
  });

  it('a settlement replayed from the dead letters cannot lift a notice logged after its original, whatever the clocks', () => {
    // Original settlement at offset 10 (dead-lettered), the invoice overdue again at offset 11, then the replay.
    const held = replay([invoiceOverdue({ occurredAt: T0, position: at(11) })]);

    const replayed = decide(held, invoiceSettled({ occurredAt: T0 + DAY, ...replayedFrom(10) }), policy, NOW);

    expect(replayed.outcome).toBe('stale');
    expect(replayed.state).toBe(held);
    expect(replayed.effects).toEqual([]);
    expect(replayed.audit.reason).toBe(
      "stale: nonpayment/inv-1 changed by an event logged after this one's original (billing.payments.v1/0 at offset 11)",
    );
  });

  it('a settlement replayed from the dead letters lifts a notice logged before its original, even one dated ahead', () => {
    const held = replay([invoiceOverdue({ occurredAt: NOW + 55 * MINUTE, position: at(11) })]);

    const replayed = decide(held, invoiceSettled({ occurredAt: NOW, ...replayedFrom(12) }), policy, NOW + HOUR);

    expect(replayed.outcome).toBe('applied');
    expect(stateOf(replayed).status).toBe('active');
    expect(stateOf(replayed).entryClocks).toEqual([{ key: 'nonpayment/inv-1', at: NOW + 55 * MINUTE, position: at(12) }]);
  });

  it('a notice replayed from the dead letters cannot undo a settlement logged after its original, even dated later', () => {
    const settled = replay([
      invoiceOverdue({ occurredAt: T0, position: at(3) }),
      invoiceSettled({ occurredAt: T0 + HOUR, position: at(5) }),
    ]);

    const replayed = decide(settled, invoiceOverdue({ eventId: 'again', occurredAt: T0 + DAY, ...replayedFrom(4) }), policy, NOW);

    expect(replayed.outcome).toBe('stale');
    expect(replayed.state).toBe(settled);
  });

  it('a replay from no known place, or from another partition, is judged by occurredAt', () => {
    const held = replay([invoiceOverdue({ occurredAt: T0 + DAY, position: at(11) })]);

    expect(decide(held, invoiceSettled({ occurredAt: T0, replayed: true }), policy, NOW).outcome).toBe('stale');
    expect(decide(held, invoiceSettled({ occurredAt: T0, ...replayedFrom(12, 3) }), policy, NOW).outcome).toBe('stale');
    expect(decide(held, invoiceSettled({ occurredAt: T0 + 2 * DAY, replayed: true }), policy, NOW).outcome).toBe('applied');
  });

  it('an entry stored before positions were kept orders a replay by occurredAt', () => {
    const held = replay([invoiceOverdue({ occurredAt: T0 + DAY })]);
    expect(held.entryClocks).toEqual([{ key: 'nonpayment/inv-1', at: T0 + DAY }]);

    expect(decide(held, invoiceSettled({ occurredAt: T0, ...replayedFrom(12) }), policy, NOW).outcome).toBe('stale');
    expect(decide(held, invoiceSettled({ occurredAt: T0 }), policy, NOW).outcome).toBe('applied');
  });

  it('compares offsets as 64-bit numbers, not as text nor as doubles', () => {
    const position = (offset: string) => ({ topic: 'billing.payments.v1', partition: 0, offset });
    const replayedSettlement = (offset: string) => invoiceSettled({ occurredAt: T0 - DAY, position: position(offset), replayed: true });
    const heldAt = (offset: string) => replay([invoiceOverdue({ occurredAt: T0, position: position(offset) })]);

    expect(decide(heldAt('9'), replayedSettlement('10'), policy, NOW).outcome).toBe('applied');
    // 2^53 + 1 and 2^53 are one double.
    expect(decide(heldAt('9007199254740993'), replayedSettlement('9007199254740992'), policy, NOW).outcome).toBe('stale');
  });

  it("an operator's command keeps the entry's place in the log", () => {
    const held = replay([suspendRequested({ occurredAt: T0, position: at(4, 0, 'customer.requests.v1') })]);

    const resumed = stateOf(decide(held, resumeRequested({ occurredAt: NOW, actor: OPERATOR_ACTOR }), policy, NOW));

    expect(resumed.entryClocks).toEqual([{ key: 'customer_request', at: NOW, position: at(4, 0, 'customer.requests.v1') }]);
  });
});

describe('decide: duplicates', () => {
  it('an event id already applied changes nothing', () => {
    const command = invoiceOverdue({ occurredAt: T0 });
    const first = stateOf(decide(active, command, policy, T0));

    const again = decide(first, command, policy, T0 + DAY);

    expect(again).toMatchObject({ outcome: 'duplicate', changed: false, effects: [] });
    expect(again.state).toBe(first);
    expect(again.audit.reason).toBe('event already applied');
  });

  it('is judged by event id alone, whatever the payload', () => {
    const first = stateOf(decide(active, invoiceOverdue({ eventId: 'evt-same', occurredAt: T0 }), policy, T0));

    const again = decide(first, invoiceSettled({ eventId: 'evt-same', occurredAt: T0 + DAY }), policy, T0 + DAY);

    expect(again.outcome).toBe('duplicate');
    expect(again.state).toBe(first);
  });

  it('an applied event that changed nothing is still remembered', () => {
    const command = invoiceSettled({ invoiceId: 'inv-never-overdue' });
    const first = stateOf(decide(active, command, policy, NOW));

    expect(decide(first, command, policy, NOW).outcome).toBe('duplicate');
  });

  it('remembers only the newest events, as fingerprints, up to the dedupe window', () => {
    const small = testPolicy({ dedupeWindow: 2 });
    const commands = [invoiceOverdue({ invoiceId: 'a' }), invoiceOverdue({ invoiceId: 'b' }), invoiceOverdue({ invoiceId: 'c' })];

    const state = replay(commands, { policy: small });

    expect(state.recentEvents).toEqual([eventFingerprint(commands[1]!.eventId), eventFingerprint(commands[2]!.eventId)]);
  });
});

describe('decide: identity', () => {
  it.each([
    ['another tenant', { tenantId: 'tenant-2' }],
    ['another customer', { customerId: 'cust-2' }],
  ])('a command naming %s is rejected and changes nothing', (_label, identity) => {
    const decision = decide(suspended, invoiceSettled({ invoiceId: 'inv-1', occurredAt: NOW, ...identity }), policy, NOW);

    // The code says why (its dead letter carries it), not only the audit line's words.
    expect(decision).toMatchObject({ outcome: 'rejected', rejection: 'IDENTITY_MISMATCH', changed: false, effects: [] });
    expect(decision.state).toBe(suspended);
    expect(decision.audit.reason).toBe(`identity-mismatch: subscription belongs to tenant ${TENANT_ID}, customer ${CUSTOMER_ID}`);
  });
});

describe('decide: fraud score threshold', () => {
  it('a detection below the threshold is audited and ignored', () => {
    const decision = decide(active, fraudDetected({ score: 0.79, occurredAt: NOW }), policy, NOW);

    expect(decision).toMatchObject({ outcome: 'ignored', changed: false, effects: [] });
    expect(decision.state).toBe(active);
    expect(decision.audit.reason).toBe('below-fraud-threshold: score 0.79 < 0.8');
  });

  it('a detection below the threshold adds no case to an existing fraud hold', () => {
    const state = replay([fraudDetected({ caseId: 'case-1', occurredAt: T0 })]);

    const decision = decide(state, fraudDetected({ caseId: 'case-2', score: 0.1, occurredAt: NOW }), policy, NOW);

    expect(decision.outcome).toBe('ignored');
    expect(decision.state).toBe(state);
  });

  it('a detection at the threshold counts', () => {
    const decision = decide(active, fraudDetected({ score: 0.8, occurredAt: NOW }), policy, NOW);

    expect(decision.outcome).toBe('applied');
    expect(stateOf(decision).status).toBe('suspended');
  });

  it('the threshold is the policy’s', () => {
    const lenient = testPolicy({ fraudScoreThreshold: 0.5 });

    expect(stateOf(decide(active, fraudDetected({ score: 0.6, occurredAt: NOW }), lenient, NOW)).status).toBe('suspended');
  });
});

describe('decide: an unseen subscription', () => {
  it('is created by its first event, with the command’s ids and the decision’s clock', () => {
    const command = invoiceOverdue({ subscriptionId: 'sub-new', customerId: 'cust-new', tenantId: 'tenant-new', occurredAt: NOW - HOUR });

    const decision = decide(null, command, policy, NOW);

    expect(decision).toMatchObject({ outcome: 'applied', changed: true });
    expect(stateOf(decision)).toMatchObject({
      subscriptionId: 'sub-new',
      customerId: 'cust-new',
      tenantId: 'tenant-new',
      status: 'suspended',
      holds: [{ reason: 'nonpayment', since: NOW, refs: ['inv-1'] }],
      deletion: { generation: 1, dueAt: NOW + DELAY },
      legalHold: null,
      cancelledAt: null,
      deletedAt: null,
      receipt: null,
      timerGeneration: 1,
      entryClocks: [{ key: 'nonpayment/inv-1', at: NOW - HOUR }],
      recentEvents: [eventFingerprint(command.eventId)],
      createdAt: NOW,
      updatedAt: NOW,
    });
  });

  it('holds nothing of the command beyond the subscription’s own fields', () => {
    // The stored subscription must not carry the first command's event id, actor or instruction (which names an invoice).
    const decision = decide(null, invoiceOverdue({ invoiceId: 'inv-secret', occurredAt: NOW }), policy, NOW);

    expect(Object.keys(stateOf(decision)).sort()).toEqual(Object.keys(aSubscription()).sort());
  });

  it('is not created when its first event is ignored: nothing is written', () => {
    const decision = decide(null, fraudDetected({ score: 0.1, occurredAt: NOW }), policy, NOW);

    expect(decision).toMatchObject({ outcome: 'ignored', changed: false, effects: [], state: null });
  });

  it('is not created by a first event that changes nothing, so a forged no-op cannot claim it for another tenant', () => {
    const decision = decide(null, invoiceSettled({ invoiceId: 'never-overdue', occurredAt: NOW }), policy, NOW);

    expect(decision).toMatchObject({ outcome: 'ignored', changed: false, effects: [], state: null });
    expect(decision.audit.reason).toMatch(/^no-change/);
  });

  it('treats a command the audit trail shows as applied as a duplicate, whatever the window says', () => {
    const command = invoiceOverdue({ occurredAt: NOW });
    const decision = alreadyApplied(active, command, NOW);

    expect(decision).toMatchObject({ outcome: 'duplicate', changed: false, effects: [], state: active });
  });
});

describe('decide: lifecycle events', () => {
  it('carry the subscription as it is after the decision', () => {
    const command = invoiceOverdue({ occurredAt: NOW - DAY });

    const decision = decide(active, command, policy, NOW);
    const after = stateOf(decision);
    const common = {
      occurredAt: NOW,
      subscriptionId: SUBSCRIPTION_ID,
      customerId: CUSTOMER_ID,
      tenantId: TENANT_ID,
      causationId: command.eventId,
      status: 'suspended',
      accessLevel: 'admins-only',
      holds: after.holds,
      deletionDueAt: NOW + DELAY,
    };

    expect(published(decision, 'subscription.hold-added')).toStrictEqual({
      type: 'subscription.hold-added',
      ...common,
      holdReason: 'nonpayment',
    });
    expect(published(decision, 'subscription.suspended')).toStrictEqual({ type: 'subscription.suspended', ...common });
    expect(published(decision, 'subscription.deletion-scheduled')).toStrictEqual({ type: 'subscription.deletion-scheduled', ...common });
  });

  it('report an access level that matches their status', () => {
    const decisions = [
      decide(active, invoiceOverdue({ occurredAt: NOW }), policy, NOW),
      decide(suspended, cancelRequested({ occurredAt: NOW }), policy, NOW),
      decide(replay([invoiceOverdue({ occurredAt: T0 })]), invoiceSettled({ occurredAt: NOW }), policy, NOW),
    ];

    const events = decisions.flatMap((decision) => effectOfKind(decision, 'publish').map((effect) => effect.event));

    expect(events.length).toBeGreaterThan(5);
    events.forEach((event) => {
      expect(event.accessLevel).toBe(accessLevelOf(event.status));
    });
  });
});

describe('decide: audit', () => {
  const later = NOW + HOUR;
  const seen = invoiceOverdue({ occurredAt: T0 });
  const afterSeen = replay([seen]);
  const cases: readonly (readonly [Outcome, Subscription | null, Command])[] = [
    ['applied', active, invoiceOverdue({ occurredAt: NOW })],
    ['applied', null, suspendRequested({ occurredAt: NOW })],
    ['duplicate', afterSeen, seen],
    ['stale', afterSeen, invoiceOverdue({ occurredAt: T0 - DAY })],
    ['ignored', active, fraudDetected({ score: 0.2, occurredAt: NOW })],
    ['ignored', claimedDeletion, invoiceSettled({ occurredAt: NOW })],
    ['ignored', deleted, invoiceSettled({ occurredAt: NOW })],
    ['rejected', active, cancelRequested({ tenantId: 'tenant-x', occurredAt: NOW })],
  ];

  it.each(cases)('outcome %s: one record saying what happened and why', (outcome, before, command) => {
    const decision = decide(before, command, policy, later);
    // What an unseen subscription's status "was" is left open (null or the initial `active`); everything else is pinned.
    const { statusBefore, reason, ...audit } = decision.audit;

    expect(decision.outcome).toBe(outcome);
    // Only a rejection names a code, and every rejection does (here the one there is).
    expect(decision.rejection).toBe(outcome === 'rejected' ? 'IDENTITY_MISMATCH' : undefined);
    if (before !== null) expect(statusBefore).toBe(before.status);
    expect(reason).toMatch(/\S/);
    expect(audit).toEqual({
      subscriptionId: command.subscriptionId,
      tenantId: command.tenantId,
      eventId: command.eventId,
      type: command.instruction.type,
      occurredAt: command.occurredAt,
      recordedAt: later,
      actor: command.actor,
      outcome,
      statusAfter: decision.state?.status ?? null,
    });
  });

  it('an applied change lists what changed', () => {
    const decision = decide(active, suspendRequested({ occurredAt: NOW, actor: OPERATOR_ACTOR }), policy, NOW);

    expect(decision.audit.reason).toBe('hold-added:customer_request; suspended; deletion-scheduled');
    expect(decision.audit.actor).toEqual({ kind: 'operator', id: 'ops-alice' });
  });
});

describe('decide: purity', () => {
  it('does not modify the state it is given', () => {
    const before = structuredClone(suspended);

    decide(suspended, invoiceSettled({ invoiceId: 'inv-1', occurredAt: NOW }), policy, NOW);
    decide(suspended, cancelRequested({ occurredAt: NOW }), policy, NOW);
    decide(suspended, legalHoldSet({ occurredAt: NOW }), policy, NOW);

    expect(suspended).toEqual(before);
  });

  it('the same inputs give the same decision', () => {
    const command = fraudDetected({ occurredAt: NOW });

    expect(decide(suspended, command, policy, NOW)).toEqual(decide(suspended, command, policy, NOW));
  });
});
