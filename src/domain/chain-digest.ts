/**
 * A digest in the audit chain is 32 bytes (sha256); how it is spelled depends on when it was written. Records and
 * heads written since issue 21 spell it base64url without padding (43 characters); those written before, and the
 * deletion certificate still, as `sha256:` and 64 hex digits. A digest is compared by its bytes, so a chain may go on
 * from an old head in the new spelling.
 */
export type Digest = (value: unknown) => Uint8Array;

const LEAN = /^[A-Za-z0-9_-]{43}$/;
const HEX = /^sha256:[0-9a-f]{64}$/;

/** The spelling new records and heads store: base64url without padding. */
export const leanDigest = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** The spelling of records from before issue 21, and of the certificate's `auditChain.head`. */
export const hexDigest = (bytes: Uint8Array): string => `sha256:${Buffer.from(bytes).toString('hex')}`;

/**
 * The bytes a stored digest spells, in either spelling; null for anything else. Strict: only the one spelling that
 * encodes (base64url's last character carries two unused bits), so no two texts name the same digest in one form.
 */
export function digestBytes(text: string): Buffer | null {
  if (HEX.test(text)) return Buffer.from(text.slice('sha256:'.length), 'hex');
  if (!LEAN.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === 32 && bytes.toString('base64url') === text ? bytes : null;
}

/** The digest in the new spelling, whichever it was stored in; null when it spells none. */
export function asLeanDigest(text: string): string | null {
  const bytes = digestBytes(text);
  return bytes === null ? null : leanDigest(bytes);
}

/** The digest as `sha256:<hex>` (what certificates quote), whichever spelling it was stored in; null when it spells none. */
export function asHexDigest(text: string): string | null {
  const bytes = digestBytes(text);
  return bytes === null ? null : hexDigest(bytes);
}

/** Whether two stored digests (or two absent ones: a first record's `prev`) name the same bytes. */
export function sameDigest(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const left = asLeanDigest(a);
  return left !== null && left === asLeanDigest(b);
}
