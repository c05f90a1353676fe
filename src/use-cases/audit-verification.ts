import { asHexDigest, verifyChain, type ChainReport } from '../domain';
import { sha256Bytes } from '../proof/digest';
import type { AuditRepository } from '../storage/audit.repository';
import type { SubscriptionRepository } from '../storage/subscription.repository';

/** What `audit verify`, `GET /v1/subscriptions/{id}/audit/verify` and the console's subscription page show. */
export interface AuditVerification extends ChainReport {
  readonly subscriptionId: string;
  readonly verified: boolean;
}

/**
 * Reads a subscription's whole audit trail in chain order and verifies it against the head stored with the
 * subscription (or, for one never stored, in audit_heads). Null when there is neither a subscription nor a record.
 */
export async function verifyAuditTrail(
  deps: { readonly subscriptions: SubscriptionRepository; readonly audit: AuditRepository },
  subscriptionId: string,
): Promise<AuditVerification | null> {
  const [stored, records] = await Promise.all([deps.subscriptions.get(subscriptionId), deps.audit.chainOf(subscriptionId)]);
  if (stored === null && records.length === 0) return null;
  const expected = stored === null ? await deps.audit.unstoredHead(subscriptionId) : (stored.state.auditHead ?? null);
  const report = verifyChain(records, expected, sha256Bytes);
  return { subscriptionId, verified: report.broken === null, ...report };
}

/** The verdict in one line of text (CLI and console); the head as `sha256:<hex>`, the form a deletion certificate quotes it in. */
export function verificationText(result: AuditVerification): string {
  const legacy = result.unchained === 0 ? '' : `; ${result.unchained} older record(s) from before the chain are shown but not provable`;
  if (result.broken === null)
    return `audit chain intact: ${result.chained} record(s)${result.head === null ? '' : `, head ${asHexDigest(result.head.hash) ?? result.head.hash}`}${legacy}`;
  return `audit chain BROKEN at place ${result.broken.seq} (${result.broken.kind}): ${result.broken.message}${legacy}`;
}
