import type { Command, Instruction } from '../src/domain';
import { random } from '../test/support/seeded-random';

export type TopicKey = 'payments' | 'fraud' | 'customer';
export const TOPIC_KEYS: readonly TopicKey[] = ['payments', 'fraud', 'customer'];

/** One message as produced: the topic it goes to, its key and bytes, and the command the worker should decode from it. */
export interface BenchEvent {
  readonly topic: TopicKey;
  readonly key: string;
  readonly value: string;
  readonly command: Command;
}

export interface MixOptions {
  readonly seed: number;
  readonly events: number;
  /** Distinct subscriptions; the default gives about five events each. */
  readonly subscriptions?: number;
  readonly prefix: string;
  /** Share of messages sent twice with the same eventId, as an upstream retry would. */
  readonly duplicateRate?: number;
}

const CUSTOMER = { requestedBy: 'support@partner.example' };

/** The mix billing traffic has: mostly overdue notices and settlements, some fraud, a few customer requests. */
function instruction(rand: () => number): { topic: TopicKey; type: string; instruction: Instruction } {
  const roll = rand();
  const invoiceId = `inv-${Math.floor(rand() * 3)}`;
  const caseId = `case-${Math.floor(rand() * 2)}`;
  if (roll < 0.46)
    return {
      topic: 'payments',
      type: 'payment.overdue',
      instruction: { type: 'invoice-overdue', invoiceId, amountDue: 49.9, currency: 'EUR', daysOverdue: 14 },
    };
  if (roll < 0.82) return { topic: 'payments', type: 'payment.settled', instruction: { type: 'invoice-settled', invoiceId } };
  if (roll < 0.88)
    return { topic: 'fraud', type: 'fraud.detected', instruction: { type: 'fraud-detected', caseId, score: rand() < 0.7 ? 0.92 : 0.4 } };
  if (roll < 0.92) return { topic: 'fraud', type: 'fraud.cleared', instruction: { type: 'fraud-cleared', caseId } };
  if (roll < 0.96)
    return { topic: 'customer', type: 'customer.suspend-requested', instruction: { type: 'suspend-requested', ...CUSTOMER } };
  if (roll < 0.99) return { topic: 'customer', type: 'customer.resume-requested', instruction: { type: 'resume-requested', ...CUSTOMER } };
  return { topic: 'customer', type: 'customer.cancel-requested', instruction: { type: 'cancel-requested', ...CUSTOMER } };
}

/**
 * Exactly `events` messages (duplicates included) over `subscriptions` subscriptions, interleaved at random, each
 * subscription's `occurredAt` one second after its previous event. Deterministic in the seed.
 */
export function generateMix(options: MixOptions): BenchEvent[] {
  const rand = random(options.seed);
  const subscriptions = Math.max(1, options.subscriptions ?? Math.ceil(options.events / 5));
  const duplicateRate = options.duplicateRate ?? 0.02;
  const base = Date.parse('2026-01-01T00:00:00Z');
  const clocks = new Map<string, number>();
  const out: BenchEvent[] = [];
  for (let i = 0; out.length < options.events; i++) {
    const n = Math.floor(rand() * subscriptions);
    const subscriptionId = `${options.prefix}-${n}`;
    const occurredAt = (clocks.get(subscriptionId) ?? base) + 1_000;
    clocks.set(subscriptionId, occurredAt);
    const picked = instruction(rand);
    const command: Command = {
      eventId: `${subscriptionId}.e${i}`,
      occurredAt,
      subscriptionId,
      customerId: `cust-${n}`,
      tenantId: 'tenant-bench',
      actor: { kind: 'system', id: picked.topic },
      instruction: picked.instruction,
    };
    const { type: _type, ...data } = picked.instruction;
    const value = JSON.stringify({
      eventId: command.eventId,
      type: picked.type,
      occurredAt: new Date(occurredAt).toISOString(),
      subscriptionId,
      customerId: command.customerId,
      tenantId: command.tenantId,
      data,
    });
    const event: BenchEvent = { topic: picked.topic, key: subscriptionId, value, command };
    out.push(event);
    if (out.length < options.events && rand() < duplicateRate) out.push(event);
  }
  return out;
}

/** Messages per topic and type, for the report. */
export function mixSummary(events: readonly BenchEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const type = (JSON.parse(event.value) as { type: string }).type;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}
