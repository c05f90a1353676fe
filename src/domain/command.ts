import type { LogPosition, Millis } from './subscription';

/** Who caused a command: an upstream system through Kafka, or an operator through the ops API. */
export interface Actor {
  readonly kind: 'system' | 'operator';
  readonly id: string;
  /** The operator who replayed the event from the dead letters (its `replay.actor` header), when it was replayed. */
  readonly replayedBy?: string;
}

/** What an inbound event or an operator asks of one subscription, already validated. */
export type Instruction =
  | {
      readonly type: 'invoice-overdue';
      readonly invoiceId: string;
      readonly amountDue: number;
      readonly currency: string;
      readonly daysOverdue: number;
    }
  | { readonly type: 'invoice-settled'; readonly invoiceId: string }
  | { readonly type: 'fraud-detected'; readonly caseId: string; readonly score: number }
  | { readonly type: 'fraud-cleared'; readonly caseId: string }
  | { readonly type: 'suspend-requested'; readonly requestedBy: string; readonly ticketId?: string | undefined }
  | { readonly type: 'resume-requested'; readonly requestedBy: string; readonly ticketId?: string | undefined }
  | { readonly type: 'cancel-requested'; readonly requestedBy: string; readonly ticketId?: string | undefined }
  | { readonly type: 'legal-hold-set'; readonly reason: string }
  | { readonly type: 'legal-hold-released'; readonly reason: string };

export type InstructionType = Instruction['type'];

export interface Command {
  /** The idempotency key: an instruction with an id already applied changes nothing. */
  readonly eventId: string;
  readonly occurredAt: Millis;
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly tenantId: string;
  readonly actor: Actor;
  readonly instruction: Instruction;
  /** Free text an operator gave with a manual command; kept in the audit trail. */
  readonly note?: string;
  /**
   * Where the event sits in its source's log; for a dead-letter replay, where its original was (the place it failed
   * at). Absent for operator commands, and for a replay whose original's place is not known.
   */
  readonly position?: LogPosition;
  /** A dead-letter replay: it arrives after events that followed its original in the log, so its `position` orders it. */
  readonly replayed?: boolean;
}
