import {
  decide,
  type AuditRecord,
  policyFrom,
  type Actor,
  type Command,
  type Instruction,
  type InstructionType,
  type Millis,
  type Policy,
  type PolicySettings,
  type Subscription,
} from '../../src/domain';

/** Shared builders for domain tests: commands, subscriptions and the policy they are judged by. */

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** An arbitrary fixed instant, so failures print readable dates. */
export const T0: Millis = Date.parse('2025-01-01T00:00:00.000Z');

export const SUBSCRIPTION_ID = 'sub-1';
export const CUSTOMER_ID = 'cust-1';
export const TENANT_ID = 'tenant-1';
export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'billing' };
export const OPERATOR_ACTOR: Actor = { kind: 'operator', id: 'ops-alice' };

/**
 * The policy the domain tests are written against. Spelled out rather than taken from
 * `DEFAULT_POLICY_SETTINGS`, so a change of production defaults does not silently change what the tests check.
 */
export const TEST_POLICY_SETTINGS: PolicySettings = {
  deletionDelay: 'P60D',
  deletionReminders: ['P30D', 'P7D', 'P1D'],
  legalHoldReleaseGrace: 'P7D',
  fraudScoreThreshold: 0.8,
  dedupeWindow: 16,
};

export function testPolicy(overrides: Partial<PolicySettings> = {}): Policy {
  return policyFrom({ ...TEST_POLICY_SETTINGS, ...overrides });
}

let eventCounter = 0;

/** Unique within a test run and readable in failure output (`evt-17`). */
export function nextEventId(): string {
  eventCounter += 1;
  return `evt-${eventCounter}`;
}

/** The command fields around an instruction. */
export type Envelope = Omit<Command, 'instruction'>;

/** Overrides for one instruction type: any envelope field plus that instruction's own fields. */
export type CommandOverrides<T extends InstructionType> = Partial<Envelope> & Partial<Omit<Extract<Instruction, { type: T }>, 'type'>>;

function build(instruction: Instruction, overrides: Partial<Envelope>, defaultActor: Actor): Command {
  return {
    eventId: overrides.eventId ?? nextEventId(),
    occurredAt: overrides.occurredAt ?? T0,
    subscriptionId: overrides.subscriptionId ?? SUBSCRIPTION_ID,
    customerId: overrides.customerId ?? CUSTOMER_ID,
    tenantId: overrides.tenantId ?? TENANT_ID,
    actor: overrides.actor ?? defaultActor,
    instruction,
    ...(overrides.position === undefined ? {} : { position: overrides.position }),
    ...(overrides.replayed === undefined ? {} : { replayed: overrides.replayed }),
  };
}

export function invoiceOverdue(o: CommandOverrides<'invoice-overdue'> = {}): Command {
  const instruction = {
    type: 'invoice-overdue',
    invoiceId: o.invoiceId ?? 'inv-1',
    amountDue: o.amountDue ?? 4_200,
    currency: o.currency ?? 'EUR',
    daysOverdue: o.daysOverdue ?? 14,
  } as const;
  return build(instruction, o, SYSTEM_ACTOR);
}

export function invoiceSettled(o: CommandOverrides<'invoice-settled'> = {}): Command {
  return build({ type: 'invoice-settled', invoiceId: o.invoiceId ?? 'inv-1' }, o, SYSTEM_ACTOR);
}

/** Defaults to a score above the test policy's threshold, so the detection counts. */
export function fraudDetected(o: CommandOverrides<'fraud-detected'> = {}): Command {
  return build({ type: 'fraud-detected', caseId: o.caseId ?? 'case-1', score: o.score ?? 0.95 }, o, { kind: 'system', id: 'fraud' });
}

export function fraudCleared(o: CommandOverrides<'fraud-cleared'> = {}): Command {
  return build({ type: 'fraud-cleared', caseId: o.caseId ?? 'case-1' }, o, { kind: 'system', id: 'fraud' });
}

export function suspendRequested(o: CommandOverrides<'suspend-requested'> = {}): Command {
  return build({ type: 'suspend-requested', requestedBy: o.requestedBy ?? 'customer', ticketId: o.ticketId }, o, SYSTEM_ACTOR);
}

export function resumeRequested(o: CommandOverrides<'resume-requested'> = {}): Command {
  return build({ type: 'resume-requested', requestedBy: o.requestedBy ?? 'customer', ticketId: o.ticketId }, o, SYSTEM_ACTOR);
}

export function cancelRequested(o: CommandOverrides<'cancel-requested'> = {}): Command {
  return build({ type: 'cancel-requested', requestedBy: o.requestedBy ?? 'customer', ticketId: o.ticketId }, o, SYSTEM_ACTOR);
}

export function legalHoldSet(o: CommandOverrides<'legal-hold-set'> = {}): Command {
  return build({ type: 'legal-hold-set', reason: o.reason ?? 'litigation-42' }, o, { kind: 'operator', id: 'legal-bob' });
}

export function legalHoldReleased(o: CommandOverrides<'legal-hold-released'> = {}): Command {
  return build({ type: 'legal-hold-released', reason: o.reason ?? 'litigation-42 settled' }, o, { kind: 'operator', id: 'legal-bob' });
}

/** One builder per instruction type, for tables that range over all of them. */
export const COMMAND_BUILDERS: { readonly [T in InstructionType]: (o?: CommandOverrides<T>) => Command } = {
  'invoice-overdue': invoiceOverdue,
  'invoice-settled': invoiceSettled,
  'fraud-detected': fraudDetected,
  'fraud-cleared': fraudCleared,
  'suspend-requested': suspendRequested,
  'resume-requested': resumeRequested,
  'cancel-requested': cancelRequested,
  'legal-hold-set': legalHoldSet,
  'legal-hold-released': legalHoldReleased,
};

export const INSTRUCTION_TYPES = Object.keys(COMMAND_BUILDERS) as readonly InstructionType[];

/** A stored subscription, active and without history unless overridden. Built by hand, field by field, so it holds nothing else. */
export function aSubscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    customerId: CUSTOMER_ID,
    tenantId: TENANT_ID,
    status: 'active',
    holds: [],
    deletion: null,
    legalHold: null,
    cancelledAt: null,
    deletedAt: null,
    receipt: null,
    timerGeneration: 0,
    entryClocks: [],
    recentEvents: [],
    createdAt: T0 - 30 * DAY,
    updatedAt: T0 - 30 * DAY,
    ...overrides,
  };
}

/**
 * The subscription that results from deciding `commands` in order, each at `now(command)` (by default its `occurredAt`).
 * Starts from `aSubscription()` unless told otherwise; throws if a command is not applied, so a fixture cannot silently be other than it says.
 */
export function replay(
  commands: readonly Command[],
  options: { readonly from?: Subscription; readonly policy?: Policy; readonly now?: (command: Command) => Millis } = {},
): Subscription {
  const policy = options.policy ?? testPolicy();
  const now = options.now ?? ((command: Command) => command.occurredAt);
  return commands.reduce((state, command) => {
    const decision = decide(state, command, policy, now(command));
    if (decision.outcome !== 'applied' || decision.state === null) {
      throw new Error(`fixture command ${command.eventId} (${command.instruction.type}) was ${decision.outcome}: ${decision.audit.reason}`);
    }
    return decision.state;
  }, options.from ?? aSubscription());
}

/** An audit record as the state machine writes one (an applied overdue notice unless overridden), for tests of the trail. */
export function anAuditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    tenantId: TENANT_ID,
    eventId: nextEventId(),
    type: 'invoice-overdue',
    occurredAt: T0,
    recordedAt: T0,
    actor: SYSTEM_ACTOR,
    outcome: 'applied',
    reason: 'hold-added:nonpayment',
    statusBefore: 'active',
    statusAfter: 'suspended',
    ...overrides,
  };
}
