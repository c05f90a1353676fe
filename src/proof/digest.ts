import { createHash } from 'node:crypto';

import { canonicalJson, hexDigest, type Policy } from '../domain';

/** The sha256 of the UTF-8 bytes of the value's canonical form (src/domain/canonical.ts): the audit chain's digest. */
export function sha256Bytes(value: unknown): Buffer {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest();
}

/** `sha256:<hex>` of the same: how policies (and certificates) name a hash. */
export function sha256Of(value: unknown): string {
  return hexDigest(sha256Bytes(value));
}

/**
 * The identity of an effective policy: the hash of its settings. The fraud threshold is a fraction, which the canonical
 * form refuses, so it is hashed as the decimal text JavaScript writes for it.
 */
export function policyHash(policy: Policy): string {
  return sha256Of({
    deletionDelayMs: policy.deletionDelayMs,
    reminderOffsets: policy.reminderOffsets.map((reminder) => ({ offset: reminder.offset, ms: reminder.ms })),
    legalHoldReleaseGraceMs: policy.legalHoldReleaseGraceMs,
    fraudScoreThreshold: String(policy.fraudScoreThreshold),
    dedupeWindow: policy.dedupeWindow,
  });
}
