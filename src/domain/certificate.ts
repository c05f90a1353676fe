import type { AuditRecord } from './decision';
import type { Millis, Subscription } from './subscription';

/** The format name every certificate carries; a verifier refuses any other. */
export const CERTIFICATE_FORMAT = 'billing-enforcer.deletion-certificate.v1';

/** One data collection's part in a deletion: what was deleted, and a count taken afterwards (0: none left). */
export interface CertifiedCollection {
  readonly collection: string;
  readonly deleted: number;
  readonly remaining: number;
}

/** A legal hold the deletion waited for: when it was set and when released (times only: its reason stays ours). */
export interface CertifiedLegalHold {
  readonly setAt: string;
  readonly releasedAt: string | null;
}

/**
 * What a deletion certificate states, before it is signed. Times are ISO 8601 strings and counts integers, so the
 * canonical form (canonical.ts) has one spelling for every value.
 */
export interface DeletionCertificateBody {
  readonly format: typeof CERTIFICATE_FORMAT;
  /** `<subscriptionId>/<timer generation>`: one deletion, one certificate. */
  readonly certificateId: string;
  /** Which key signed it (src/proof/keys.ts): the verifier picks the public key by it. */
  readonly keyId: string;
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly tenantId: string;
  /** The policy the deletion ran under: `default` until tenant policies have versions of their own. */
  readonly policyVersion: string;
  /** `sha256:<hex>` of the canonical form of the effective policy's settings. */
  readonly policyHash: string;
  /** The status the deletion found (a claim is only ever made on one of these). */
  readonly statusAtDeletion: 'suspended' | 'cancelled';
  /** When the subscription was suspended (its oldest hold) or cancelled; null if neither is known. */
  readonly suspendedAt: string | null;
  /** The deletion date announced to the customer (the timer's due time). */
  readonly deletionAnnouncedFor: string;
  readonly deletedAt: string;
  readonly collections: readonly CertifiedCollection[];
  readonly legalHolds: readonly CertifiedLegalHold[];
  /** The subscription's audit chain up to the deletion: how many records, and the hash of the last (null: none). */
  readonly auditChain: { readonly records: number; readonly head: string | null };
}

/** A certificate and its Ed25519 signature (base64url) over the canonical form of `certificate`. */
export interface SignedCertificate {
  readonly certificate: DeletionCertificateBody;
  readonly signature: string;
}

const iso = (ms: Millis): string => new Date(ms).toISOString();

/** The legal holds set on the subscription, paired with their release, from its audit records (oldest first). */
export function legalHoldsOf(records: readonly AuditRecord[]): CertifiedLegalHold[] {
  const holds: { setAt: Millis; releasedAt: Millis | null }[] = [];
  for (const record of [...records].sort((a, b) => a.recordedAt - b.recordedAt)) {
    if (record.outcome !== 'applied') continue;
    const open = holds.at(-1);
    if (record.type === 'legal-hold-set') holds.push({ setAt: record.recordedAt, releasedAt: null });
    else if (record.type === 'legal-hold-released' && open !== undefined && open.releasedAt === null) open.releasedAt = record.recordedAt;
  }
  return holds.map((hold) => ({ setAt: iso(hold.setAt), releasedAt: hold.releasedAt === null ? null : iso(hold.releasedAt) }));
}

export interface CertificateFacts {
  readonly keyId: string;
  readonly policyVersion: string;
  readonly policyHash: string;
  readonly collections: readonly CertifiedCollection[];
  readonly legalHolds: readonly CertifiedLegalHold[];
  readonly auditChain: DeletionCertificateBody['auditChain'];
  readonly deletedAt: Millis;
}

/** The certificate of the deletion of `state` (claimed, its data deleted, not yet a tombstone). */
export function certificateBody(state: Subscription, facts: CertificateFacts): DeletionCertificateBody {
  const timer = state.deletion;
  const holdsSince = state.holds.map((hold) => hold.since);
  const suspendedAt = holdsSince.length > 0 ? Math.min(...holdsSince) : state.cancelledAt;
  return {
    format: CERTIFICATE_FORMAT,
    certificateId: `${state.subscriptionId}/${timer?.generation ?? state.timerGeneration}`,
    keyId: facts.keyId,
    subscriptionId: state.subscriptionId,
    customerId: state.customerId,
    tenantId: state.tenantId,
    policyVersion: facts.policyVersion,
    policyHash: facts.policyHash,
    statusAtDeletion: state.status === 'cancelled' ? 'cancelled' : 'suspended',
    suspendedAt: suspendedAt === null ? null : iso(suspendedAt),
    deletionAnnouncedFor: iso(timer?.dueAt ?? facts.deletedAt),
    deletedAt: iso(facts.deletedAt),
    collections: facts.collections.map((entry) => ({ collection: entry.collection, deleted: entry.deleted, remaining: entry.remaining })),
    legalHolds: facts.legalHolds.map((hold) => ({ ...hold })),
    auditChain: { ...facts.auditChain },
  };
}
