import { eventFingerprint } from '../../../src/domain';
import { stableId } from '../../../src/storage/ids';
import type { Stored } from '../../../src/storage/subscription.repository';
import { fold, type Delivery } from '../../../src/use-cases/apply-commands';
import { anAuditRecord, aSubscription, invoiceOverdue, invoiceSettled, T0, testPolicy } from '../../support/factories';

const policy = testPolicy({ dedupeWindow: 16 });
const delivery = (command: Delivery['command'], n: number): Delivery => ({ command, deliveryRef: `p0@${n}` });
const stored = (state = aSubscription()): Stored => ({ state, version: 3, writeToken: 'tok', legacyOutbox: [] });
const outcomes = (deliveries: readonly Delivery[], ...rest: Parameters<typeof fold> extends [unknown, ...infer R] ? R : never) =>
  fold(deliveries, ...rest).decided.map((item) => item.decision.outcome);

describe('fold: duplicates the window alone would miss', () => {
  it('an event repeated in one slice after more events than the window keeps is a duplicate, not applied twice', () => {
    // 20 invoices overdue and settled in turn: 40 applied events, then the first again.
    const commands = Array.from({ length: 20 }, (_, n) => [
      invoiceOverdue({ invoiceId: `inv-${n}`, occurredAt: T0 + n }),
      invoiceSettled({ invoiceId: `inv-${n}`, occurredAt: T0 + n }),
    ]).flat();
    const first = commands[0]!;
    const deliveries = [...commands, first].map(delivery);

    const result = outcomes(deliveries, stored(), undefined, policy, T0);

    expect(result.slice(0, -1).every((outcome) => outcome === 'applied')).toBe(true);
    expect(result.at(-1)).toBe('duplicate');
  });

  it('an event whose applied record waits in an owed outbox is a duplicate, though the window has dropped it', () => {
    const late = invoiceOverdue({ invoiceId: 'inv-late' });
    const recent = Array.from({ length: 16 }, (_, n) => eventFingerprint(`other-${n}`));
    const appliedId = stableId('audit', late.subscriptionId, late.eventId, 'applied');
    const owed = {
      subscriptionId: late.subscriptionId,
      version: 3,
      outbox: [{ id: appliedId, kind: 'audit' as const, record: anAuditRecord({ eventId: late.eventId }) }],
    };

    expect(outcomes([delivery(late, 1)], stored(aSubscription({ recentEvents: recent })), owed, policy, T0)).toEqual(['duplicate']);
    // Without the owed record it would have been applied: the window cannot tell.
    expect(outcomes([delivery(late, 1)], stored(aSubscription({ recentEvents: recent })), undefined, policy, T0)).toEqual(['applied']);
  });
});
