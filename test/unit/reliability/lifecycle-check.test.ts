import { lifecycleDifferences, lifecycleKey } from '../../reliability/support/lifecycle-check';

const inbound = new Set(['e1', 'e2']);
const expected = new Set([
  lifecycleKey('e1', 'subscription.hold-added', 'nonpayment'),
  lifecycleKey('e1', 'subscription.suspended'),
  lifecycleKey('e2', 'subscription.reactivated'),
]);

describe('the fault suite’s lifecycle check', () => {
  it('passes when every expected lifecycle event is there once, re-published copies (same eventId) included', () => {
    const observed = new Map([
      [lifecycleKey('e1', 'subscription.hold-added', 'nonpayment'), new Set(['o1'])],
      [lifecycleKey('e1', 'subscription.suspended'), new Set(['o2'])],
      [lifecycleKey('e2', 'subscription.reactivated'), new Set(['o3'])],
      // A timer's own lifecycle event is not checked against the inbound model.
      [lifecycleKey('d.1.sub-1', 'subscription.data-deleted'), new Set(['o4', 'o5'])],
    ]);
    expect(lifecycleDifferences(expected, observed, inbound)).toEqual([]);
  });

  it('sees an event applied twice, which the audit count cannot (both applications share one audit id)', () => {
    const observed = new Map([
      [lifecycleKey('e1', 'subscription.hold-added', 'nonpayment'), new Set(['o1', 'o9'])],
      [lifecycleKey('e1', 'subscription.suspended'), new Set(['o2', 'o10'])],
      [lifecycleKey('e2', 'subscription.reactivated'), new Set(['o3'])],
    ]);
    expect(lifecycleDifferences(expected, observed, inbound)).toEqual([
      'lifecycle e1 subscription.hold-added nonpayment: published by 2 applications (applied twice)',
      'lifecycle e1 subscription.suspended: published by 2 applications (applied twice)',
    ]);
  });

  it('sees a lost hold event and one the model does not publish', () => {
    const observed = new Map([
      [lifecycleKey('e1', 'subscription.suspended'), new Set(['o2'])],
      [lifecycleKey('e2', 'subscription.reactivated'), new Set(['o3'])],
      [lifecycleKey('e2', 'subscription.hold-lifted', 'fraud'), new Set(['o4'])],
    ]);
    expect(lifecycleDifferences(expected, observed, inbound)).toEqual([
      'lifecycle e1 subscription.hold-added nonpayment: lost (the model publishes it)',
      'lifecycle e2 subscription.hold-lifted fraud: published, the model does not publish it',
    ]);
  });

  it('does not hold status events to the log’s order: which event suspends depends on how the topics interleave', () => {
    const observed = new Map([
      [lifecycleKey('e1', 'subscription.hold-added', 'nonpayment'), new Set(['o1'])],
      [lifecycleKey('e2', 'subscription.suspended'), new Set(['o2'])],
    ]);
    expect(lifecycleDifferences(expected, observed, inbound)).toEqual([]);
  });
});
