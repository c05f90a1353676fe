import { sign, verify, type KeyObject } from 'node:crypto';

import { canonicalJson, type DeletionCertificateBody, type SignedCertificate } from '../domain';
import { signedCertificateSchema } from '../contract/certificate';
import type { SigningKey } from './keys';

/** Signs the certificate: Ed25519 over the UTF-8 bytes of its canonical form. The body must name this key. */
export function signCertificate(body: DeletionCertificateBody, key: SigningKey): SignedCertificate {
  if (body.keyId !== key.keyId) throw new Error(`certificate names key ${body.keyId}, signed with ${key.keyId}`);
  const signature = sign(null, Buffer.from(canonicalJson(body), 'utf8'), key.privateKey).toString('base64url');
  return { certificate: body, signature };
}

/** Which check failed: the document's shape (a field added, removed or malformed), its key id, or its signature. */
export type VerificationCheck = 'format' | 'key-id' | 'signature';

export type Verification =
  | { readonly ok: true; readonly certificate: DeletionCertificateBody; readonly keyId: string }
  | { readonly ok: false; readonly check: VerificationCheck; readonly problems: readonly string[] };

/**
 * Verifies a certificate offline against public keys by key id. Everything is checked before anything is believed:
 * the shape first (so a field that was added, removed or mangled is named), then that its key is known, then the
 * signature over the canonical form (so a value that was changed, or a signature by another key, fails there).
 */
export function verifyCertificate(document: unknown, publicKeys: ReadonlyMap<string, KeyObject>): Verification {
  const parsed = signedCertificateSchema.safeParse(document);
  if (!parsed.success) {
    return {
      ok: false,
      check: 'format',
      problems: parsed.error.issues.slice(0, 20).map((issue) => `${['$', ...issue.path.map(String)].join('.')}: ${issue.message}`),
    };
  }
  const { certificate, signature } = parsed.data;
  const key = publicKeys.get(certificate.keyId);
  if (key === undefined) {
    const known = [...publicKeys.keys()];
    return {
      ok: false,
      check: 'key-id',
      problems: [
        `signed by key ${certificate.keyId}, which is not among the public keys given (${known.length === 0 ? 'none' : known.join(', ')})`,
      ],
    };
  }
  const bytes = Buffer.from(canonicalJson(certificate), 'utf8');
  if (!verify(null, bytes, key, Buffer.from(signature, 'base64url'))) {
    return {
      ok: false,
      check: 'signature',
      problems: [
        `the signature is not key ${certificate.keyId}'s over this content: a field was changed after signing, or another key signed it`,
      ],
    };
  }
  return { ok: true, certificate, keyId: certificate.keyId };
}
