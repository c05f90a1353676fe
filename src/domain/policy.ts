import { parseDuration } from './duration';

/** The product's knobs, resolved from configuration once and passed to every decision. */
export interface Policy {
  /** Which version of its tenant's policy this is (src/domain/tenant-policy.ts); 0 is the environment's default. */
  readonly version: number;
  readonly deletionDelayMs: number;
  readonly reminderOffsets: readonly { readonly offset: string; readonly ms: number }[];
  readonly legalHoldReleaseGraceMs: number;
  readonly fraudScoreThreshold: number;
  /** How many recent events each subscription remembers (as fingerprints) before duplicate detection asks the audit trail. */
  readonly dedupeWindow: number;
}

export interface PolicySettings {
  readonly deletionDelay: string;
  readonly deletionReminders: readonly string[];
  readonly legalHoldReleaseGrace: string;
  readonly fraudScoreThreshold: number;
  readonly dedupeWindow: number;
}

/** The product's defaults (docs/configuration.md shows them through the config schema, which takes them from here). */
export const DEFAULT_POLICY_SETTINGS: PolicySettings = {
  deletionDelay: 'P60D',
  deletionReminders: ['P30D', 'P7D', 'P1D'],
  legalHoldReleaseGrace: 'P7D',
  fraudScoreThreshold: 0.8,
  dedupeWindow: 16,
};

/** The version the environment's policy has: a tenant without a stored version of its own follows it. */
export const DEFAULT_VERSION = 0;

export function policyFrom(settings: PolicySettings): Policy {
  return {
    version: DEFAULT_VERSION,
    deletionDelayMs: parseDuration(settings.deletionDelay),
    reminderOffsets: settings.deletionReminders.map((offset) => ({ offset, ms: parseDuration(offset) })),
    legalHoldReleaseGraceMs: parseDuration(settings.legalHoldReleaseGrace),
    fraudScoreThreshold: settings.fraudScoreThreshold,
    dedupeWindow: settings.dedupeWindow,
  };
}

/**
 * How far ahead of now a pending deletion can be due: a suspension or cancellation sets now + the delay, and releasing
 * a legal hold the later of the original due date (already set, so within the delay) and release + the grace.
 * "Upcoming deletions" look this far ahead, so no pending deletion is left out of them.
 */
export function deletionHorizonMs(policy: Pick<Policy, 'deletionDelayMs' | 'legalHoldReleaseGraceMs'>): number {
  return Math.max(policy.deletionDelayMs, policy.legalHoldReleaseGraceMs);
}
