import {
  asHexDigest,
  certificateBody,
  legalHoldsOf,
  tenantPolicy,
  type CertifiedCollection,
  type Policy,
  type SignedCertificate,
  type Subscription,
} from '../src/domain';
import { signCertificate } from '../src/proof/certificates';
import { policyHash } from '../src/proof/digest';
import { mongoCall } from '../src/storage/mongo-errors';
import type { JobDeps } from './job';

/**
 * The policy the deletion's timer was planned under: the tenant's version (its number, as text) or `default`, the
 * environment's. Its hash is of that policy as resolved now from the stored version, which is immutable.
 */
async function policyOfTimer(state: Subscription, deps: JobDeps): Promise<{ version: string; policy: Policy }> {
  const version = state.deletion?.policyVersion ?? 0;
  if (version === 0 || deps.policies === undefined) return { version: 'default', policy: deps.policy };
  const stored = await deps.policies.policies.get(state.tenantId, version);
  return stored === null
    ? { version: 'default', policy: deps.policy }
    : { version: String(version), policy: tenantPolicy(deps.policy, stored) };
}

/**
 * The signed certificate of a deletion whose collections are all done, or null when no signing key is configured.
 * Each collection is counted again now, after its delete: the certificate says how many of the subscription's
 * documents are left (0, unless something wrote them since). The legal holds it waited for and the audit chain's head
 * come from the subscription's audit trail.
 */
export async function certifyDeletion(state: Subscription, deletedAt: number, deps: JobDeps): Promise<SignedCertificate | null> {
  const key = deps.certificateKeys.signing;
  if (key === null) return null;
  const filter = { subscriptionId: state.subscriptionId, tenantId: state.tenantId };
  const collections: CertifiedCollection[] = [];
  for (const collection of deps.dataCollections) {
    const remaining = await mongoCall({ op: 'countDocuments', collection }, () =>
      deps.connection.collection(collection).countDocuments(filter),
    );
    const progress = state.deletion?.progress.find((entry) => entry.collection === collection);
    collections.push({ collection, deleted: progress?.deleted ?? progress?.matched ?? 0, remaining });
    if (remaining > 0) deps.logger.warn({ subscriptionId: state.subscriptionId, collection, remaining }, 'documents left after deletion');
  }
  const records = await deps.audit.chainOf(state.subscriptionId);
  // The head stored with the subscription: every record before this deletion's own, as the commit path linked them.
  // Quoted as `sha256:<hex>` (the certificate's v1 contract) whichever spelling it is stored in.
  const head = state.auditHead ?? null;
  const planned = await policyOfTimer(state, deps);
  const body = certificateBody(state, {
    keyId: key.keyId,
    policyVersion: planned.version,
    policyHash: policyHash(planned.policy),
    collections,
    legalHolds: legalHoldsOf(records),
    auditChain: { records: head?.seq ?? 0, head: head === null ? null : (asHexDigest(head.hash) ?? head.hash) },
    deletedAt,
  });
  return signCertificate(body, key);
}
