import { randomUUID } from 'node:crypto';

import mongoose from 'mongoose';

import { decide, type Command, type Subscription } from '../../../src/domain';
import { generateMix } from '../../../bench/event-mix';
import { subscriptionDocument } from '../../../src/storage/subscription.repository';
import {
  fraudCleared,
  fraudDetected,
  HOUR,
  invoiceOverdue,
  invoiceSettled,
  resumeRequested,
  suspendRequested,
  T0,
  testPolicy,
} from '../../support/factories';
import { random } from '../../support/seeded-random';

/** Its audit chain's head as the commit path stores it (a thousand records in, a sha256 hash): the largest it gets. */
const auditHead = { seq: 1_000, hash: `sha256:${'f'.repeat(64)}` };

const bsonBytes = (state: Subscription): number =>
  mongoose.mongo.BSON.calculateObjectSize(
    subscriptionDocument({ state: { ...state, auditHead }, expectedVersion: 41, outbox: [] }, 'AbCdEfGhIjKlMnOp'),
  );

/**
 * One subscription's history as production sends it: UUID event ids, invoices and fraud cases that come and go (up to
 * three invoices overdue and one case open at once: what is open is the subscription's state, not its history), the
 * customer's own requests, Kafka positions on the real topics. Ids of each kind are fresh, so nothing repeats.
 */
function history(events: number, seed: number): Command[] {
  const next = random(seed);
  const ids = { subscriptionId: 'sub-0f8e6d1c-2b3a-4c5d-8e9f-a0b1c2d3e4f5', customerId: 'cust-7d6c5b4a', tenantId: 'tenant-contoso-eu' };
  const open = { invoices: [] as string[], cases: [] as string[] };
  const commands: Command[] = [];
  const topics = { billing: 'billing.payments.v1', fraud: 'fraud.signals.v1', customer: 'customer.requests.v1' };
  let offset = 1_000_000;
  for (let n = 0; n < events; n++) {
    const envelope = (topic: string) => ({
      ...ids,
      eventId: randomUUID(),
      occurredAt: T0 + n * HOUR,
      position: { topic, partition: 7, offset: String((offset += 1 + Math.floor(next() * 50))) },
    });
    const roll = next();
    if ((roll < 0.3 && open.invoices.length < 3) || (roll < 0.6 && open.invoices.length === 0)) {
      const invoiceId = `INV-2026-${String(n).padStart(6, '0')}`;
      open.invoices.push(invoiceId);
      commands.push(invoiceOverdue({ ...envelope(topics.billing), invoiceId }));
    } else if (roll < 0.6) {
      commands.push(invoiceSettled({ ...envelope(topics.billing), invoiceId: open.invoices.shift() ?? '' }));
    } else if ((roll < 0.7 && open.cases.length === 0) || (roll < 0.8 && open.cases.length === 0)) {
      const caseId = `case-${randomUUID()}`;
      open.cases.push(caseId);
      commands.push(fraudDetected({ ...envelope(topics.fraud), caseId, score: 0.95 }));
    } else if (roll < 0.8) {
      commands.push(fraudCleared({ ...envelope(topics.fraud), caseId: open.cases.shift() ?? '' }));
    } else if (roll < 0.9) {
      commands.push(suspendRequested({ ...envelope(topics.customer), ticketId: `TCK-${n}` }));
    } else {
      commands.push(resumeRequested(envelope(topics.customer)));
    }
  }
  return commands;
}

/** Decides the history in order and returns the stored document's size after each event. */
function sizes(commands: readonly Command[]): number[] {
  const policy = testPolicy({ dedupeWindow: 16 });
  let state: Subscription | null = null;
  const out: number[] = [];
  for (const command of commands) {
    const decision = decide(state, command, policy, command.occurredAt);
    state = decision.state;
    if (state !== null) out.push(bsonBytes(state));
  }
  return out;
}

describe('a stored subscription document (issue 21: the subscription, not its history)', () => {
  it.each([1, 2, 3])('is at most 1.5 KB after 1,000 events of the benchmark mix (seed %i)', (seed) => {
    const log = generateMix({ seed, events: 1_000, subscriptions: 1, prefix: 'sub-0f8e6d1c-2b3a-4c5d-8e9f-a0b1c2d3e4f5' });
    const all = sizes(log.map((event) => event.command));
    expect(all.length).toBeGreaterThan(900);
    expect(Math.max(...all)).toBeLessThanOrEqual(1_536);
  });

  it.each([1, 2, 3])('does not grow with history when every invoice and case is new (seed %i)', (seed) => {
    // What is open (up to three invoices, a case, the customer's tickets) is state and is stored; what closed is not,
    // beyond the last few clocks. So the thousandth event's document is no bigger than the hundredth's could be.
    const all = sizes(history(1_000, seed));
    const early = Math.max(...all.slice(0, 200));
    expect(Math.max(...all.slice(200))).toBeLessThanOrEqual(early + 200);
    expect(Math.max(...all)).toBeLessThanOrEqual(2_048);
  });

  it('is under 1 KB for a subscription with a typical history (a few events)', () => {
    const log = generateMix({ seed: 4, events: 5, subscriptions: 1, prefix: 'sub-0f8e6d1c-2b3a-4c5d-8e9f-a0b1c2d3e4f5' });
    expect(Math.max(...sizes(log.map((event) => event.command)))).toBeLessThan(1_024);
  });
});
