import { boundClocks, CLOSED_ENTRY_CLOCKS, eventFingerprint, FINGERPRINT_LENGTH, type EntryClock, type Hold } from '../../../src/domain';
import { T0 } from '../../support/factories';

const clock = (key: string, at = T0): EntryClock => ({ key, at });

describe('eventFingerprint', () => {
  it('is fixed-size, URL-safe and the same for the same id, whatever the id', () => {
    const ids = ['e', 'evt-1', 'x'.repeat(100), 'é—ü', '00000000-0000-4000-8000-000000000000'];
    for (const id of ids) {
      expect(eventFingerprint(id)).toHaveLength(FINGERPRINT_LENGTH);
      expect(eventFingerprint(id)).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(eventFingerprint(id)).toBe(eventFingerprint(id.slice()));
    }
    expect(new Set(ids.map(eventFingerprint)).size).toBe(ids.length);
  });
});

describe('boundClocks', () => {
  const holds: Hold[] = [
    { reason: 'nonpayment', since: T0, refs: ['inv-open', 'inv/with/slashes'] },
    { reason: 'customer_request', since: T0, refs: [] },
  ];

  it('keeps every open entry, however old, and only the latest closed ones, in their order', () => {
    const closed = Array.from({ length: 10 }, (_, n) => clock(`nonpayment/inv-${n}`));
    const clocks = [
      clock('nonpayment/inv-open'),
      clock('nonpayment/inv/with/slashes'),
      clock('customer_request'),
      ...closed,
      clock('fraud/case-1'),
    ];

    const kept = boundClocks(clocks, holds, null);

    expect(kept.map((entry) => entry.key)).toEqual([
      'nonpayment/inv-open',
      'nonpayment/inv/with/slashes',
      'customer_request',
      ...closed.slice(-(CLOSED_ENTRY_CLOCKS - 1)).map((entry) => entry.key),
      'fraud/case-1',
    ]);
  });

  it('keeps the legal hold clock while it stands and counts it as closed once released', () => {
    const clocks = [clock('legal_hold'), ...Array.from({ length: CLOSED_ENTRY_CLOCKS }, (_, n) => clock(`fraud/c${n}`))];
    expect(boundClocks(clocks, [], { reason: 'audit', actor: 'ops', since: T0 })).toEqual(clocks);
    expect(boundClocks(clocks, [], null).map((entry) => entry.key)).not.toContain('legal_hold');
  });

  it('returns the same array when nothing is dropped', () => {
    const clocks = [clock('fraud/c1'), clock('nonpayment/inv-open')];
    expect(boundClocks(clocks, holds, null)).toBe(clocks);
  });
});
