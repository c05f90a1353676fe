import fc from 'fast-check';

import { decide, type Command, type Decision, type Instruction, type LogPosition, type Subscription } from '../../../src/domain';
import { HOUR, MINUTE, SYSTEM_ACTOR, T0, aSubscription, testPolicy } from '../../support/factories';

/**
 * The ordering rule of docs/architecture.md ("Ordering within a hold entry"), held against random logs.
 *
 * Each source logs its events for a hold entry in the order they happened (one topic, one key: one partition), and
 * stamps them with a clock that may be off by up to MAX_CLOCK_SKEW either way. The worker receives the log in order,
 * except that some events are dead-lettered and replayed later (carrying their original's place), and some are
 * delivered twice. The truth is the log: an entry is held exactly when its last logged event adds to it.
 */

const policy = testPolicy();
const MAX_SKEW = HOUR;
const NUM_RUNS = 500;

type Family = 'billing' | 'fraud' | 'customer';

interface Entry {
  readonly family: Family;
  readonly ref: string;
}

const ENTRIES: readonly Entry[] = [
  { family: 'billing', ref: 'inv-1' },
  { family: 'billing', ref: 'inv-2' },
  { family: 'fraud', ref: 'case-1' },
  { family: 'customer', ref: 'customer' },
];

const TOPICS: Record<Family, string> = { billing: 'billing.payments.v1', fraud: 'fraud.signals.v1', customer: 'customer.requests.v1' };

function instruction(entry: Entry, adds: boolean): Instruction {
  switch (entry.family) {
    case 'billing':
      return adds
        ? { type: 'invoice-overdue', invoiceId: entry.ref, amountDue: 10, currency: 'EUR', daysOverdue: 31 }
        : { type: 'invoice-settled', invoiceId: entry.ref };
    case 'fraud':
      return adds ? { type: 'fraud-detected', caseId: entry.ref, score: 0.95 } : { type: 'fraud-cleared', caseId: entry.ref };
    case 'customer':
      return adds ? { type: 'suspend-requested', requestedBy: 'ann' } : { type: 'resume-requested', requestedBy: 'ann' };
  }
}

function held(state: Subscription, entry: Entry): boolean {
  switch (entry.family) {
    case 'billing':
      return state.holds.some((hold) => hold.reason === 'nonpayment' && hold.refs.includes(entry.ref));
    case 'fraud':
      return state.holds.some((hold) => hold.reason === 'fraud' && hold.refs.includes(entry.ref));
    case 'customer':
      return state.holds.some((hold) => hold.reason === 'customer_request');
  }
}

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

/** One logged event: which entry, add or lift, how long after the previous one it happened, how far off its clock is. */
const loggedArb = fc.record({
  entry: fc.constantFrom(...ENTRIES),
  adds: fc.boolean(),
  gapMinutes: fc.integer({ min: 0, max: 90 }),
  skewMinutes: fc.integer({ min: -MAX_SKEW / MINUTE, max: MAX_SKEW / MINUTE }),
  // live; dead-lettered, then replayed `later` deliveries on; or delivered twice.
  fate: fc.oneof(w(6, fc.constant('live' as const)), w(2, fc.constant('replayed' as const)), w(1, fc.constant('twice' as const))),
  later: fc.nat({ max: 40 }),
});

interface Logged {
  readonly entry: Entry;
  readonly adds: boolean;
  /** Its place in the log. */
  readonly index: number;
  /** When it really happened; `command.occurredAt` is what the source's clock said. */
  readonly happened: number;
  readonly command: Command;
}

interface Delivery {
  readonly logged: Logged;
  readonly command: Command;
  readonly kind: 'live' | 'replay' | 'again';
}

const historyArb = fc.array(loggedArb, { minLength: 1, maxLength: 40 }).map((raw) => {
  let happened = T0;
  const offsets = new Map<string, number>();
  const log: Logged[] = raw.map((item, index) => {
    happened += item.gapMinutes * MINUTE;
    const topic = TOPICS[item.entry.family];
    const offset = offsets.get(topic) ?? 100;
    offsets.set(topic, offset + 1);
    const position: LogPosition = { topic, partition: 0, offset: String(offset) };
    const command: Command = {
      eventId: `evt-${index}`,
      occurredAt: happened + item.skewMinutes * MINUTE,
      subscriptionId: 'sub-1',
      customerId: 'cust-1',
      tenantId: 'tenant-1',
      actor: SYSTEM_ACTOR,
      instruction: instruction(item.entry, item.adds),
      position,
    };
    return { entry: item.entry, adds: item.adds, index, happened, command };
  });
  // Deliveries in log order; a replay or a second delivery lands `later` slots after its original's place.
  const slots: Delivery[][] = log.map(() => []);
  const tail: Delivery[] = [];
  raw.forEach((item, index) => {
    const logged = log[index];
    if (logged === undefined) return;
    if (item.fate !== 'replayed') slots[index]?.push({ logged, command: logged.command, kind: 'live' });
    const extra: Delivery =
      item.fate === 'replayed'
        ? { logged, command: { ...logged.command, replayed: true }, kind: 'replay' }
        : { logged, command: logged.command, kind: 'again' };
    if (item.fate === 'live') return;
    const at = index + 1 + item.later;
    (at < slots.length ? (slots[at] ?? tail) : tail).push(extra);
  });
  return { log, deliveries: [...slots.flat(), ...tail] };
});

interface Step {
  readonly delivery: Delivery;
  readonly before: Subscription;
  readonly decision: Decision;
  readonly after: Subscription;
}

/** Plays the deliveries against a stored subscription (a never-stored one is issue 11's trade: see architecture.md). */
function play(deliveries: readonly Delivery[], onStep: (step: Step) => void = () => undefined): Subscription {
  let state = aSubscription();
  let now = T0;
  for (const delivery of deliveries) {
    // Received after it happened (so its clock is at most MAX_SKEW ahead of ours, as the decoder checks).
    now = Math.max(now + 1_000, delivery.logged.happened);
    const decision = decide(state, delivery.command, policy, now);
    const after = decision.changed && decision.state !== null ? decision.state : state;
    onStep({ delivery, before: state, decision, after });
    state = after;
  }
  return state;
}

/** The truth the log tells: the last logged event of each entry. */
function lastLogged(log: readonly Logged[]): Map<Entry, Logged> {
  const last = new Map<Entry, Logged>();
  for (const logged of log) last.set(logged.entry, logged);
  return last;
}

describe('ordering within a hold entry (property)', () => {
  it('a clock-skewed source never makes a lift received live stale: the settlement, clearance or resume applies', () => {
    fc.assert(
      fc.property(historyArb, ({ deliveries }) => {
        play(deliveries, ({ delivery, decision, after }) => {
          if (delivery.kind !== 'live' || delivery.logged.adds) return;
          expect(decision.outcome).toBe('applied');
          expect(held(after, delivery.logged.entry)).toBe(false);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a replayed lift never lifts a hold added by an event logged after its original', () => {
    fc.assert(
      fc.property(historyArb, ({ deliveries }) => {
        // The log index of the add that holds each entry now.
        const holding = new Map<Entry, number>();
        play(deliveries, ({ delivery, before, decision, after }) => {
          const { entry, adds, index } = delivery.logged;
          const holder = holding.get(entry);
          if (delivery.kind === 'replay' && !adds && holder !== undefined && holder > index && held(before, entry)) {
            expect(decision.outcome).toBe('stale');
            expect(after).toBe(before);
          }
          if (decision.outcome === 'applied' && adds) holding.set(entry, index);
          if (!held(after, entry)) holding.delete(entry);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the log decides the end: an entry whose last logged event lifts ends lifted; one whose last logged add applied ends held', () => {
    fc.assert(
      fc.property(historyArb, ({ log, deliveries }) => {
        const appliedAdds = new Set<number>();
        const final = play(deliveries, ({ delivery, decision }) => {
          if (delivery.logged.adds && decision.outcome === 'applied') appliedAdds.add(delivery.logged.index);
        });
        for (const [entry, last] of lastLogged(log)) {
          if (!last.adds) expect({ entry, held: held(final, entry) }).toEqual({ entry, held: false });
          else if (appliedAdds.has(last.index)) expect({ entry, held: held(final, entry) }).toEqual({ entry, held: true });
        }
        expect(final.status).toBe(final.holds.length === 0 ? 'active' : 'suspended');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('with clocks that agree, the end is exactly what the log says, replays and duplicates included', () => {
    fc.assert(
      fc.property(historyArb, ({ log, deliveries }) => {
        const exact = (command: Command): Command => ({ ...command, occurredAt: T0 + Number(command.eventId.slice(4)) * MINUTE });
        const final = play(deliveries.map((delivery) => ({ ...delivery, command: exact(delivery.command) })));
        for (const [entry, last] of lastLogged(log)) expect({ entry, held: held(final, entry) }).toEqual({ entry, held: last.adds });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a second delivery of an event changes nothing', () => {
    fc.assert(
      fc.property(historyArb, ({ deliveries }) => {
        const once = play(deliveries.filter((delivery) => delivery.kind !== 'again'));
        const twice = play(deliveries, ({ delivery, decision, before, after }) => {
          if (delivery.kind !== 'again') return;
          expect(decision.outcome).not.toBe('applied');
          expect(after).toBe(before);
        });
        // Holds as refs: `since` is when a hold was added, which the extra deliveries move by their processing time.
        const refs = (state: Subscription) => state.holds.map((hold) => [hold.reason, hold.refs]);
        expect(refs(twice)).toEqual(refs(once));
        expect(twice.status).toBe(once.status);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
