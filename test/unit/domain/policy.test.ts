import { DEFAULT_POLICY_SETTINGS, deletionHorizonMs, InvalidDurationError, policyFrom } from '../../../src/domain';
import { DAY, TEST_POLICY_SETTINGS } from '../../support/factories';

describe('policyFrom', () => {
  it('resolves every duration to milliseconds and keeps the configured reminder offsets', () => {
    expect(policyFrom(TEST_POLICY_SETTINGS)).toEqual({
      version: 0,
      deletionDelayMs: 60 * DAY,
      reminderOffsets: [
        { offset: 'P30D', ms: 30 * DAY },
        { offset: 'P7D', ms: 7 * DAY },
        { offset: 'P1D', ms: DAY },
      ],
      legalHoldReleaseGraceMs: 7 * DAY,
      fraudScoreThreshold: 0.8,
      dedupeWindow: 16,
    });
  });

  it('the production defaults are the product policy the tests assume', () => {
    expect(DEFAULT_POLICY_SETTINGS).toEqual(TEST_POLICY_SETTINGS);
  });

  it('refuses a calendar duration anywhere in the settings', () => {
    expect(() => policyFrom({ ...TEST_POLICY_SETTINGS, deletionDelay: 'P2M' })).toThrow(InvalidDurationError);
    expect(() => policyFrom({ ...TEST_POLICY_SETTINGS, deletionReminders: ['P7D', 'P1M'] })).toThrow(InvalidDurationError);
    expect(() => policyFrom({ ...TEST_POLICY_SETTINGS, legalHoldReleaseGrace: 'P1Y' })).toThrow(InvalidDurationError);
  });

  it('allows no reminders', () => {
    expect(policyFrom({ ...TEST_POLICY_SETTINGS, deletionReminders: [] }).reminderOffsets).toEqual([]);
  });
});

describe('deletionHorizonMs', () => {
  it('is the delay, or the legal-hold release grace when that is longer: no pending deletion is due later', () => {
    expect(deletionHorizonMs({ deletionDelayMs: 90 * DAY, legalHoldReleaseGraceMs: 7 * DAY })).toBe(90 * DAY);
    expect(deletionHorizonMs({ deletionDelayMs: 3 * DAY, legalHoldReleaseGraceMs: 7 * DAY })).toBe(7 * DAY);
  });
});
