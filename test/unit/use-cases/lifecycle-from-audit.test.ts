import {
  decide,
  replanReason,
  replanTimer,
  tenantPolicy,
  timerAudit,
  type PolicyVersion,
  type ReplanMode,
  type AuditRecord,
  type Command,
  type LifecycleEventType,
  type Subscription,
} from '../../../src/domain';
import { lifecycleEventsOf } from '../../../src/use-cases/lifecycle-from-audit';
import {
  aSubscription,
  cancelRequested,
  DAY,
  fraudDetected,
  invoiceOverdue,
  invoiceSettled,
  legalHoldReleased,
  legalHoldSet,
  suspendRequested,
  T0,
  testPolicy,
} from '../../support/factories';

/** Decides each command in turn, keeping the audit records and the lifecycle events the decisions published. */
function run(commands: readonly Command[]): { audit: AuditRecord[]; published: LifecycleEventType[] } {
  const audit: AuditRecord[] = [];
  const published: LifecycleEventType[] = [];
  let state: Subscription = aSubscription();
  commands.forEach((command, index) => {
    const decision = decide(state, command, testPolicy(), T0 + index * DAY);
    audit.push(decision.audit);
    for (const effect of decision.effects) if (effect.kind === 'publish') published.push(effect.event.type);
    if (decision.state !== null) state = decision.state;
  });
  return { audit, published };
}

describe('lifecycleEventsOf', () => {
  it('reads back from the audit trail exactly the lifecycle events the decisions published, in order', () => {
    const at = (day: number) => ({ occurredAt: T0 + day * DAY });
    const { audit, published } = run([
      invoiceOverdue(at(0)),
      fraudDetected({ ...at(1), score: 0.99 }),
      legalHoldSet(at(2)),
      invoiceSettled(at(3)),
      suspendRequested(at(4)),
      legalHoldReleased(at(5)),
      cancelRequested(at(6)),
      invoiceOverdue(at(7)),
    ]);
    expect(published.length).toBeGreaterThan(4);
    expect(lifecycleEventsOf(audit).map((event) => event.type)).toEqual(published);
  });

  it('names the hold of hold events, and the reminder and deletion of timer jobs', () => {
    const { audit } = run([invoiceOverdue()]);
    expect(lifecycleEventsOf(audit).find((event) => event.type === 'subscription.hold-added')?.detail).toBe('nonpayment');
    const timer = (type: AuditRecord['type'], reason: string): AuditRecord => ({ ...audit[0]!, type, reason, outcome: 'applied' });
    expect(lifecycleEventsOf([timer('reminder-job', 'deletion-reminder P7D'), timer('deletion-job', 'data-deleted')])).toMatchObject([
      { type: 'subscription.deletion-reminder', detail: 'P7D' },
      { type: 'subscription.data-deleted' },
    ]);
  });

  it('reads a policy re-plan back as the deletion-scheduled it published, and one that kept the date as nothing', () => {
    const suspended = decide(aSubscription(), invoiceOverdue({ occurredAt: T0 }), testPolicy(), T0).state as Subscription;
    const record = (policy: PolicyVersion, mode: ReplanMode): { audit: AuditRecord; published: LifecycleEventType[] } => {
      const replanned = replanTimer(suspended, tenantPolicy(testPolicy(), policy), mode, 'policy.t.1', T0 + DAY);
      if (replanned === null) throw new Error('a re-plan expected');
      return {
        audit: {
          ...timerAudit(
            suspended,
            suspended.subscriptionId,
            'policy-replan',
            'policy.t.1',
            T0 + DAY,
            'applied',
            replanReason(replanned.plan, policy),
          ),
        },
        published: replanned.effects.flatMap((effect) => (effect.kind === 'publish' ? [effect.event.type] : [])),
      };
    };
    const version = (delay: string, applyToPending: boolean): PolicyVersion => ({
      tenantId: suspended.tenantId,
      version: 1,
      override: { deletionDelay: delay },
      applyToPending,
      actor: 'ops-alice',
      reason: 'market (ticket: POL-1); again',
      createdAt: T0,
    });
    for (const [delay, mode] of [
      ['P90D', 'extend-only'],
      ['P30D', 'apply-to-pending'],
    ] as const) {
      const { audit, published } = record(version(delay, mode === 'apply-to-pending'), mode);
      expect(lifecycleEventsOf([audit]).map((event) => event.type)).toEqual(published);
    }
  });
});
