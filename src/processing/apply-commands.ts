import { decide, type Command, type Decision, type Policy, type Subscription } from '../domain';
import type { EffectDispatcher, Written } from '../effects/effect-dispatcher';
import { AppError } from '../errors';
import type { AuditDocument, AuditRepository } from '../storage/audit.repository';
import { stableId } from '../storage/ids';
import type { OutboxEntry } from '../storage/outbox';
import type { PendingWrite, SubscriptionRepository } from '../storage/subscription.repository';
import type { KeyedLock } from './keyed-lock';

/** A command and where it came from: a Kafka offset or an operator's request id. Names the audit line of a non-applied decision. */
export interface Delivery {
  readonly command: Command;
  readonly deliveryRef: string;
}

export interface Decided {
  readonly delivery: Delivery;
  readonly decision: Decision;
}

export interface ApplyDeps {
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
  readonly dispatcher: EffectDispatcher;
  readonly policy: Policy;
  readonly clock: () => number;
  /** Serialises this process's writers per subscription (see keyed-lock.ts). */
  readonly locks: KeyedLock;
  /** Optimistic-concurrency retries before giving up on a batch (the caller then retries it as a transient fault). */
  readonly maxConflictRetries?: number;
}

function auditId(decided: Decided): string {
  const { command } = decided.delivery;
  const { outcome } = decided.decision;
  // An applied event is applied once, whatever the delivery; any other decision is recorded per delivery.
  return outcome === 'applied'
    ? stableId('audit', command.subscriptionId, command.eventId, outcome)
    : stableId('audit', command.subscriptionId, command.eventId, outcome, decided.delivery.deliveryRef);
}

interface Folded {
  readonly decided: Decided[];
  readonly write: PendingWrite | null;
  readonly leftover: Written | null;
  readonly directAudit: AuditDocument[];
}

/** Runs one subscription's commands through the state machine, in order, from its stored state. */
function fold(
  deliveries: readonly Delivery[],
  stored: { state: Subscription; version: number; outbox: readonly OutboxEntry[] } | undefined,
  policy: Policy,
  now: number,
): Folded {
  let state: Subscription | null = stored?.state ?? null;
  let changed = false;
  const version = stored?.version ?? 0;
  const outbox: OutboxEntry[] = [...(stored?.outbox ?? [])];
  const decided: Decided[] = [];
  for (const delivery of deliveries) {
    const decision = decide(state, delivery.command, policy, now);
    decided.push({ delivery, decision });
    if (decision.state !== null) state = decision.state;
    changed ||= decision.changed;
    decision.effects.forEach((effect, index) => {
      outbox.push({ id: stableId(delivery.command.subscriptionId, version + 1, decided.length, index), kind: 'effect', effect });
    });
  }
  const records = decided.map((item) => ({ _id: auditId(item), ...item.decision.audit }));
  if (changed && state !== null) {
    outbox.push(...records.map((record): OutboxEntry => ({ id: record._id, kind: 'audit', record })));
    return { decided, write: { state, expectedVersion: version, outbox }, leftover: null, directAudit: [] };
  }
  const leftover =
    stored !== undefined && stored.outbox.length > 0
      ? { subscriptionId: stored.state.subscriptionId, version, outbox: stored.outbox }
      : null;
  return { decided, write: null, leftover, directAudit: records };
}

/**
 * Applies commands to their subscriptions: one bulk read, the state machine per subscription in order,
 * one bulk versioned write, then the effects. Subscriptions that lost a write race are re-read and redone.
 * Returns every decision, for dead-lettering rejections and counting outcomes.
 */
export async function applyCommands(deliveries: readonly Delivery[], deps: ApplyDeps): Promise<Decided[]> {
  let pending = groupBySubscription(deliveries);
  const results: Decided[] = [];
  const maxRetries = deps.maxConflictRetries ?? 20;
  for (let attempt = 0; pending.size > 0; attempt++) {
    if (attempt > maxRetries) {
      throw new AppError('VERSION_CONFLICT', `gave up after ${maxRetries} write conflicts`, {
        context: { subscriptionIds: [...pending.keys()] },
      });
    }
    const conflicts = await deps.locks.withLocks(pending.keys(), async () => {
      const now = deps.clock();
      const stored = await deps.subscriptions.load([...pending.keys()]);
      const folded = new Map([...pending].map(([id, items]) => [id, fold(items, stored.get(id), deps.policy, now)]));
      const writes = [...folded.values()].flatMap((item) => (item.write === null ? [] : [item.write]));
      const lost = await deps.subscriptions.write(writes);

      const toDispatch: Written[] = [];
      const directAudit: AuditDocument[] = [];
      for (const [id, item] of folded) {
        if (lost.has(id)) continue;
        results.push(...item.decided);
        directAudit.push(...item.directAudit);
        if (item.write !== null)
          toDispatch.push({ subscriptionId: id, version: item.write.expectedVersion + 1, outbox: item.write.outbox });
        if (item.leftover !== null) toDispatch.push(item.leftover);
      }
      await deps.audit.append(directAudit);
      await deps.dispatcher.dispatch(toDispatch);
      return lost;
    });
    pending = new Map([...pending].filter(([id]) => conflicts.has(id)));
  }
  return results;
}

function groupBySubscription(deliveries: readonly Delivery[]): Map<string, Delivery[]> {
  const groups = new Map<string, Delivery[]>();
  for (const delivery of deliveries) {
    const id = delivery.command.subscriptionId;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [delivery]);
    else group.push(delivery);
  }
  return groups;
}
