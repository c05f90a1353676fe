import { randomUUID } from 'node:crypto';

import type { Decision, Instruction } from '../domain';
import { applyCommands, type ApplyDeps } from './apply-commands';

export const OPERATOR_ACTIONS = ['suspend', 'resume', 'cancel', 'legal-hold-set', 'legal-hold-release'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

export interface OperatorRequest {
  readonly subscriptionId: string;
  readonly action: OperatorAction;
  /** Who pressed the button (a person or an automation's name); recorded as the audit trail's actor. */
  readonly actor: string;
  readonly reason: string;
  /** Makes a retried request idempotent (the HTTP `Idempotency-Key`); a fresh id when absent. */
  readonly requestId?: string;
}

export type OperatorResult = { readonly found: false } | { readonly found: true; readonly decision: Decision };

/**
 * Operators act through the same state machine as events. A manual suspension places (and resume lifts) the
 * `customer_request` hold, acting for the customer; it never lifts a nonpayment or fraud hold.
 */
function instructionFor(request: OperatorRequest): Instruction {
  switch (request.action) {
    case 'suspend':
      return { type: 'suspend-requested', requestedBy: request.actor };
    case 'resume':
      return { type: 'resume-requested', requestedBy: request.actor };
    case 'cancel':
      return { type: 'cancel-requested', requestedBy: request.actor };
    case 'legal-hold-set':
      return { type: 'legal-hold-set', reason: request.reason };
    case 'legal-hold-release':
      return { type: 'legal-hold-released', reason: request.reason };
  }
}

/** Runs an operator's command on a known subscription; unknown ones are not created (their tenant and customer are unknown). */
export async function runOperatorCommand(deps: ApplyDeps, request: OperatorRequest): Promise<OperatorResult> {
  const stored = await deps.subscriptions.get(request.subscriptionId);
  if (stored === null) return { found: false };
  // Scoped by action: the same key reused for another action is another request, not a duplicate.
  const requestId = `${request.action}.${request.requestId ?? randomUUID()}`;
  const [decided] = await applyCommands(
    [
      {
        command: {
          eventId: `ops.${requestId}`,
          occurredAt: deps.clock(),
          subscriptionId: stored.state.subscriptionId,
          customerId: stored.state.customerId,
          tenantId: stored.state.tenantId,
          actor: { kind: 'operator', id: request.actor },
          instruction: instructionFor(request),
          note: request.reason,
        },
        deliveryRef: `ops/${requestId}`,
      },
    ],
    deps,
  );
  if (decided === undefined) throw new Error('unreachable: one command gives one decision');
  return { found: true, decision: decided.decision };
}
