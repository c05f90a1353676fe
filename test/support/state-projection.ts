import type { HoldReason, Status, Subscription } from '../../src/domain';

export interface Projection {
  readonly status: Status;
  readonly holds: readonly { reason: HoldReason; refs: readonly string[] }[];
}

/**
 * The part of a state that does not depend on how the three topics interleave or when events were applied: each hold
 * entry's events travel on one topic in order, and cancellation is final whatever the order. Timer generations do
 * depend on it, so they are not here. What the bench and the fault-injection suite compare with the domain model.
 */
export function project(state: Pick<Subscription, 'status' | 'holds'>): Projection {
  return {
    status: state.status,
    holds: [...state.holds]
      .map((hold) => ({ reason: hold.reason, refs: [...hold.refs].sort() }))
      .sort((a, b) => a.reason.localeCompare(b.reason)),
  };
}
