import { decide, policyFrom, type Command, type Instruction, type Subscription } from '../../../src/domain';
import { random } from '../../support/seeded-random';
import { project, type Projection } from '../../support/state-projection';
import { lifecycleKey } from './lifecycle-check';

export type TopicKey = 'payments' | 'fraud' | 'customer';

export interface LoggedEvent {
  readonly topic: TopicKey;
  readonly key: string;
  readonly value: string;
  readonly command: Command;
}

const TYPES: Record<Instruction['type'], { topic: TopicKey; type: string } | undefined> = {
  'invoice-overdue': { topic: 'payments', type: 'payment.overdue' },
  'invoice-settled': { topic: 'payments', type: 'payment.settled' },
  'fraud-detected': { topic: 'fraud', type: 'fraud.detected' },
  'fraud-cleared': { topic: 'fraud', type: 'fraud.cleared' },
  'suspend-requested': { topic: 'customer', type: 'customer.suspend-requested' },
  'resume-requested': { topic: 'customer', type: 'customer.resume-requested' },
  'cancel-requested': { topic: 'customer', type: 'customer.cancel-requested' },
  'legal-hold-set': undefined,
  'legal-hold-released': undefined,
};

function instruction(rand: () => number): Instruction {
  const roll = rand();
  const invoice = `inv-${Math.floor(rand() * 3)}`;
  const fraudCase = `case-${Math.floor(rand() * 2)}`;
  if (roll < 0.3) return { type: 'invoice-overdue', invoiceId: invoice, amountDue: 50, currency: 'EUR', daysOverdue: 10 };
  if (roll < 0.6) return { type: 'invoice-settled', invoiceId: invoice };
  if (roll < 0.7) return { type: 'fraud-detected', caseId: fraudCase, score: rand() < 0.7 ? 0.9 : 0.4 };
  if (roll < 0.78) return { type: 'fraud-cleared', caseId: fraudCase };
  if (roll < 0.87) return { type: 'suspend-requested', requestedBy: 'support' };
  if (roll < 0.97) return { type: 'resume-requested', requestedBy: 'support' };
  return { type: 'cancel-requested', requestedBy: 'support' };
}

function dataOf(ins: Instruction): Record<string, unknown> {
  const { type: _type, ...data } = ins;
  return data;
}

/**
 * A realistic stream: `subscriptions` subscriptions, `perSubscription` events each on average, interleaved, with
 * `duplicateRate` of them sent twice (the same eventId, as an upstream retry would).
 */
export function generateEventLog(options: {
  seed: number;
  subscriptions: number;
  perSubscription: number;
  duplicateRate?: number;
  prefix: string;
}): LoggedEvent[] {
  const rand = random(options.seed);
  const base = Date.parse('2026-01-01T00:00:00Z');
  const clocks = new Map<string, number>();
  const events: LoggedEvent[] = [];
  const total = options.subscriptions * options.perSubscription;
  for (let i = 0; i < total; i++) {
    const n = Math.floor(rand() * options.subscriptions);
    const subscriptionId = `${options.prefix}-${n}`;
    const occurredAt = (clocks.get(subscriptionId) ?? base) + 1_000;
    clocks.set(subscriptionId, occurredAt);
    const ins = instruction(rand);
    const mapped = TYPES[ins.type];
    if (mapped === undefined) continue;
    const command: Command = {
      eventId: `${subscriptionId}.e${i}`,
      occurredAt,
      subscriptionId,
      customerId: `cust-${n}`,
      tenantId: 'tenant-r',
      actor: { kind: 'system', id: 'generator' },
      instruction: ins,
    };
    const value = JSON.stringify({
      eventId: command.eventId,
      type: mapped.type,
      occurredAt: new Date(occurredAt).toISOString(),
      subscriptionId,
      customerId: command.customerId,
      tenantId: command.tenantId,
      data: dataOf(ins),
    });
    const event = { topic: mapped.topic, key: subscriptionId, value, command };
    events.push(event);
    if (rand() < (options.duplicateRate ?? 0.05)) events.push(event);
  }
  return events;
}

export interface ModelResult {
  readonly projections: ReadonlyMap<string, Projection>;
  /** Event ids the model applies (exactly once each). */
  readonly applied: ReadonlySet<string>;
  readonly uniqueEventIds: ReadonlySet<string>;
  /** What the model publishes on the lifecycle topic, as `lifecycleKey`s (one per application and lifecycle event). */
  readonly lifecycle: ReadonlySet<string>;
}

/** What the pure domain model computes from the log, applied in the order it was produced. */
export function model(
  events: readonly LoggedEvent[],
  policySettings = {
    deletionDelay: 'P60D',
    deletionReminders: [],
    legalHoldReleaseGrace: 'P7D',
    fraudScoreThreshold: 0.8,
    dedupeWindow: 16,
  },
): ModelResult {
  const policy = policyFrom(policySettings);
  const states = new Map<string, Subscription>();
  const applied = new Set<string>();
  const uniqueEventIds = new Set<string>();
  const lifecycle = new Set<string>();
  for (const { command } of events) {
    uniqueEventIds.add(command.eventId);
    const decision = decide(states.get(command.subscriptionId) ?? null, command, policy, command.occurredAt);
    if (decision.state !== null) states.set(command.subscriptionId, decision.state);
    if (decision.outcome === 'applied') applied.add(command.eventId);
    for (const effect of decision.effects)
      if (effect.kind === 'publish') lifecycle.add(lifecycleKey(effect.event.causationId, effect.event.type, effect.event.holdReason));
  }
  return { projections: new Map([...states].map(([id, state]) => [id, project(state)])), applied, uniqueEventIds, lifecycle };
}
