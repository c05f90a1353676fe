import {
  claimDeletion,
  completeDeletion,
  decide,
  recordProgress,
  expectedTimer,
  nextWake,
  wakeBeforeDue,
  timerAudit,
  type Millis,
  type Subscription,
} from '../../../src/domain';
import {
  CUSTOMER_ID,
  DAY,
  HOUR,
  SUBSCRIPTION_ID,
  T0,
  TENANT_ID,
  aSubscription,
  cancelRequested,
  fraudDetected,
  invoiceOverdue,
  invoiceSettled,
  legalHoldReleased,
  legalHoldSet,
  replay,
  suspendRequested,
  testPolicy,
} from '../../support/factories';

const policy = testPolicy();
const DELAY = 60 * DAY;
const DUE = T0 + DELAY;

/** Suspended at T0 by an overdue invoice: timer generation 1, due at T0 + 60 days. */
const suspended = replay([invoiceOverdue({ invoiceId: 'inv-1', occurredAt: T0 })]);

function claimed(state: Subscription, generation: number, now: Millis): Subscription {
  const result = claimDeletion(state, generation, now);
  if (!result.ok) throw new Error(`claim refused: ${result.reason}`);
  return result.state;
}

describe('claimDeletion', () => {
  it('claims a suspended subscription whose timer is due', () => {
    const result = claimDeletion(suspended, 1, DUE + HOUR);

    expect(result).toEqual({
      ok: true,
      alreadyClaimed: false,
      state: { ...suspended, deletion: { ...suspended.deletion, claimedAt: DUE + HOUR }, updatedAt: DUE + HOUR },
    });
  });

  it('claims at exactly the due time', () => {
    expect(claimDeletion(suspended, 1, DUE)).toMatchObject({ ok: true, alreadyClaimed: false });
  });

  it('claims a cancelled subscription whose timer is due', () => {
    const cancelled = replay([cancelRequested({ occurredAt: T0 })]);

    expect(claimDeletion(cancelled, 1, DUE)).toMatchObject({ ok: true, state: { status: 'cancelled', deletion: { claimedAt: DUE } } });
  });

  it('a second claim of the same timer reports the first, unchanged', () => {
    const first = claimed(suspended, 1, DUE);

    const second = claimDeletion(first, 1, DUE + DAY);

    expect(second).toEqual({ ok: true, alreadyClaimed: true, state: first });
  });

  it('refuses an unknown subscription', () => {
    expect(claimDeletion(null, 1, DUE)).toEqual({ ok: false, reason: 'not-found' });
  });

  it('refuses a deleted subscription', () => {
    const deleted = completeDeletion(claimed(suspended, 1, DUE), 'job-1', DUE).state;

    expect(claimDeletion(deleted, 1, DUE + DAY)).toEqual({ ok: false, reason: 'deleted' });
  });

  it('refuses before the due time, and says when it is due', () => {
    expect(claimDeletion(suspended, 1, DUE - 1)).toEqual({ ok: false, reason: 'not-due', dueAt: DUE });
  });

  it('refuses under a legal hold, even when due', () => {
    const held = replay([legalHoldSet({ occurredAt: T0 + DAY })], { from: suspended });

    expect(claimDeletion(held, 1, DUE + 30 * DAY)).toEqual({ ok: false, reason: 'legal-hold' });
  });

  it('refuses the timer of an earlier suspension', () => {
    const resuspended = replay(
      [invoiceSettled({ invoiceId: 'inv-1', occurredAt: T0 + DAY }), invoiceOverdue({ invoiceId: 'inv-2', occurredAt: T0 + 2 * DAY })],
      {
        from: suspended,
      },
    );
    expect(resuspended.deletion?.generation).toBe(2);

    expect(claimDeletion(resuspended, 1, DUE + 30 * DAY)).toEqual({ ok: false, reason: 'stale-timer' });
  });

  it('refuses the timer a legal-hold release replaced', () => {
    const released = replay([legalHoldSet({ occurredAt: T0 + DAY }), legalHoldReleased({ occurredAt: T0 + 2 * DAY })], { from: suspended });

    expect(claimDeletion(released, 1, DUE)).toEqual({ ok: false, reason: 'stale-timer' });
    expect(claimDeletion(released, 2, DUE)).toMatchObject({ ok: true });
  });

  it('refuses a subscription that reactivated: its timer is gone', () => {
    const reactivated = replay([invoiceSettled({ invoiceId: 'inv-1', occurredAt: T0 + DAY })], { from: suspended });

    expect(claimDeletion(reactivated, 1, DUE)).toMatchObject({ ok: false });
    expect(reactivated.deletion).toBeNull();
  });

  it('refuses an active subscription even if it still records a timer of that generation', () => {
    const inconsistent = aSubscription({ status: 'active', timerGeneration: 1, deletion: suspended.deletion });

    expect(claimDeletion(inconsistent, 1, DUE)).toEqual({ ok: false, reason: 'active' });
  });

  it('does not modify the state it is given', () => {
    const before = structuredClone(suspended);

    claimDeletion(suspended, 1, DUE);

    expect(suspended).toEqual(before);
  });

  it('once claimed, decide ignores every event: nothing can reactivate the subscription', () => {
    const state = claimed(suspended, 1, DUE);

    const decision = decide(state, invoiceSettled({ invoiceId: 'inv-1', occurredAt: DUE + HOUR }), policy, DUE + HOUR);

    expect(decision).toMatchObject({ outcome: 'ignored', changed: false, effects: [], audit: { reason: 'deletion-in-progress' } });
    expect(decision.state).toBe(state);
  });
});

describe('recordProgress', () => {
  const state = claimed(suspended, 1, DUE);

  it('records one collection’s counts', () => {
    const after = recordProgress(state, { collection: 'documents', matched: 12, deleted: null }, DUE + 1);

    expect(after.deletion?.progress).toEqual([{ collection: 'documents', matched: 12, deleted: null }]);
    expect(after.deletion?.claimedAt).toBe(DUE);
    expect(after.updatedAt).toBe(DUE + 1);
  });

  it('replaces the entry for the same collection and keeps the others', () => {
    const after = [
      { collection: 'documents', matched: 12, deleted: null },
      { collection: 'files', matched: 3, deleted: 3 },
      { collection: 'documents', matched: 12, deleted: 12 },
    ].reduce((s, progress, i) => recordProgress(s, progress, DUE + i), state);

    expect(after.deletion?.progress).toEqual([
      { collection: 'files', matched: 3, deleted: 3 },
      { collection: 'documents', matched: 12, deleted: 12 },
    ]);
  });

  it('without a timer, returns the state as it was', () => {
    const none = aSubscription();

    expect(recordProgress(none, { collection: 'documents', matched: 1, deleted: 1 }, DUE)).toBe(none);
  });
});

describe('completeDeletion', () => {
  const withHistory = replay(
    [
      fraudDetected({ caseId: 'case-secret', occurredAt: T0 + DAY }),
      suspendRequested({ ticketId: 'ticket-secret', occurredAt: T0 + DAY }),
      legalHoldSet({ reason: 'subpoena-secret', occurredAt: T0 + DAY }),
      legalHoldReleased({ occurredAt: T0 + 2 * DAY }),
    ],
    { from: suspended },
  );
  const generation = withHistory.deletion?.generation ?? -1;
  // 12 documents matched, but one was already gone when the delete ran.
  const progressed = [
    { collection: 'documents', matched: 12, deleted: 11 },
    { collection: 'files', matched: 5, deleted: null },
  ].reduce((s, progress) => recordProgress(s, progress, DUE), claimed(withHistory, generation, DUE));

  it('leaves a tombstone: ids, status and receipt stay; holds, timer, legal hold and history go', () => {
    const { state } = completeDeletion(progressed, 'job-7', DUE + HOUR);

    expect(state).toStrictEqual({
      subscriptionId: SUBSCRIPTION_ID,
      customerId: CUSTOMER_ID,
      tenantId: TENANT_ID,
      status: 'deleted',
      holds: [],
      deletion: null,
      legalHold: null,
      cancelledAt: null,
      deletedAt: DUE + HOUR,
      receipt: {
        generation,
        dueAt: DUE,
        deletedAt: DUE + HOUR,
        collections: [
          { collection: 'documents', deleted: 11 },
          { collection: 'files', deleted: 5 },
        ],
      },
      timerGeneration: generation,
      entryClocks: [],
      recentEvents: [],
      createdAt: progressed.createdAt,
      updatedAt: DUE + HOUR,
    });
  });

  it('counts a collection whose delete result was not recorded by what matched before it ran', () => {
    const { state } = completeDeletion(progressed, 'job-7', DUE);

    expect(state.receipt?.collections).toContainEqual({ collection: 'files', deleted: 5 });
  });

  it('publishes data-deleted with the counts, caused by the job', () => {
    const { state, effects } = completeDeletion(progressed, 'job-7', DUE + HOUR);

    expect(effects).toEqual([
      {
        kind: 'publish',
        event: {
          type: 'subscription.data-deleted',
          occurredAt: DUE + HOUR,
          subscriptionId: SUBSCRIPTION_ID,
          customerId: CUSTOMER_ID,
          tenantId: TENANT_ID,
          causationId: 'job-7',
          status: 'deleted',
          accessLevel: 'none',
          holds: [],
          deletionDueAt: null,
          deleted: state.receipt?.collections,
        },
      },
    ]);
  });

  it('a deletion with nothing recorded has an empty receipt', () => {
    const { state } = completeDeletion(claimed(suspended, 1, DUE), 'job-1', DUE);

    expect(state.receipt).toEqual({ generation: 1, dueAt: DUE, deletedAt: DUE, collections: [] });
  });

  it('the tombstone of a subscription first seen through an event names none of its invoices or event ids', () => {
    // The realistic path: the subscription is created by its first event, not by a fixture.
    const first = invoiceOverdue({ invoiceId: 'inv-secret', occurredAt: T0 });
    const created = decide(null, first, policy, T0).state!;

    const tombstone = completeDeletion(claimed(created, 1, DUE), 'job-1', DUE).state;

    const text = JSON.stringify(tombstone);
    expect(text).not.toContain('inv-secret');
    expect(text).not.toContain(first.eventId);
  });

  it('after deletion, decide ignores every event', () => {
    const { state } = completeDeletion(progressed, 'job-7', DUE);

    const decision = decide(state, invoiceOverdue({ invoiceId: 'inv-9', occurredAt: DUE + DAY }), policy, DUE + DAY);

    expect(decision).toMatchObject({ outcome: 'ignored', changed: false, audit: { reason: 'subscription-deleted' } });
    expect(decision.state).toBe(state);
  });
});

describe('wakeBeforeDue', () => {
  const timer = suspended.deletion;
  if (timer === null) throw new Error('fixture has a timer');

  it('sends the reminder whose moment has come and sleeps until the next one', () => {
    const result = wakeBeforeDue(suspended, timer, 'job-r', DUE - 7 * DAY);

    expect(result).toEqual({
      reminder: {
        offset: 'P7D',
        effect: {
          kind: 'publish',
          event: {
            type: 'subscription.deletion-reminder',
            occurredAt: DUE - 7 * DAY,
            subscriptionId: SUBSCRIPTION_ID,
            customerId: CUSTOMER_ID,
            tenantId: TENANT_ID,
            causationId: 'job-r',
            status: 'suspended',
            accessLevel: 'admins-only',
            holds: suspended.holds,
            deletionDueAt: DUE,
            reminderOffset: 'P7D',
          },
        },
      },
      nextAt: DUE - DAY,
    });
  });

  it('after the last reminder, sleeps until the deletion', () => {
    expect(wakeBeforeDue(suspended, timer, 'job-r', DUE - DAY)).toMatchObject({ reminder: { offset: 'P1D' }, nextAt: DUE });
  });

  it('woken late past two reminder moments, sends only the nearer one', () => {
    expect(wakeBeforeDue(suspended, timer, 'job-r', DUE - 2 * DAY)).toMatchObject({ reminder: { offset: 'P7D' }, nextAt: DUE - DAY });
  });

  it('woken before any reminder (a retry, a clock step), sends nothing', () => {
    expect(wakeBeforeDue(suspended, timer, 'job-r', T0 + DAY)).toEqual({ reminder: null, nextAt: DUE - 30 * DAY });
  });

  it('sends for a cancelled subscription', () => {
    const cancelled = replay([cancelRequested({ occurredAt: T0 })]);
    if (cancelled.deletion === null) throw new Error('fixture has a timer');

    expect(wakeBeforeDue(cancelled, cancelled.deletion, 'job-r', DUE - DAY).reminder).toMatchObject({ offset: 'P1D' });
  });
});

describe('nextWake and expectedTimer', () => {
  const timer = suspended.deletion;
  if (timer === null) throw new Error('fixture has a timer');

  it.each([
    ['at suspension', T0, DUE - 30 * DAY],
    ['at the first reminder', DUE - 30 * DAY, DUE - 7 * DAY],
    ['between reminders', DUE - 3 * DAY, DUE - DAY],
    ['after the last reminder', DUE - HOUR, DUE],
    ['past the deletion', DUE + HOUR, DUE],
  ])('%s', (_, now, expected) => {
    expect(nextWake(timer, now)).toBe(expected);
    expect(expectedTimer(suspended, now)).toEqual({ generation: 1, runAt: expected, dueAt: DUE });
  });

  it('never wakes for a reminder set at or after the deletion', () => {
    expect(nextWake({ dueAt: DUE, reminders: [{ offset: 'PT0S', at: DUE }] }, T0)).toBe(DUE);
  });

  it('a claimed deletion runs at its due time, reminders or not', () => {
    expect(expectedTimer(claimed(suspended, 1, DUE), DUE - DAY)).toEqual({ generation: 1, runAt: DUE, dueAt: DUE });
  });

  it.each([
    ['active', replay([invoiceSettled({ invoiceId: 'inv-1', occurredAt: T0 + DAY })], { from: suspended })],
    ['deleted', completeDeletion(claimed(suspended, 1, DUE), 'job-1', DUE).state],
    ['under legal hold', replay([legalHoldSet({ occurredAt: T0 + DAY })], { from: suspended })],
  ])('none when %s', (_, state) => {
    expect(expectedTimer(state, T0 + 2 * DAY)).toBeNull();
  });
});

describe('timerAudit', () => {
  it('records a job’s outcome against the subscription', () => {
    const after = claimed(suspended, 1, DUE);

    expect(timerAudit(suspended, SUBSCRIPTION_ID, 'deletion-job', 'job-1', DUE, 'applied', 'claimed', after)).toEqual({
      subscriptionId: SUBSCRIPTION_ID,
      tenantId: TENANT_ID,
      eventId: 'job-1',
      type: 'deletion-job',
      occurredAt: DUE,
      recordedAt: DUE,
      actor: { kind: 'system', id: 'deletion-job' },
      outcome: 'applied',
      reason: 'claimed',
      statusBefore: 'suspended',
      statusAfter: 'suspended',
    });
  });

  it('records a job for an unknown subscription without a tenant or status', () => {
    expect(timerAudit(null, 'sub-gone', 'reminder-job', 'job-2', DUE, 'ignored', 'not-found')).toMatchObject({
      subscriptionId: 'sub-gone',
      tenantId: '',
      statusBefore: null,
      statusAfter: null,
    });
  });
});
