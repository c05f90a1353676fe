import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

import { z } from 'zod';

import { AppError } from '../errors';

/** The key that signs new certificates. */
export interface SigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Every public key a certificate may name: the signing key's and those of retired keys (rotation). */
export interface KeyRing {
  readonly signing: SigningKey | null;
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
}

/** What `/.well-known/deletion-certificate-keys.json` serves and `certificate verify --keys` reads: a JSON Web Key Set. */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'EdDSA';
}

const keyIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;
export const KEY_ID_RULE = 'must be 1 to 64 letters, digits, dots, colons, dashes or underscores';

/** A key's default id: `ed25519-` and 16 hex digits of the sha256 of its public key (SPKI, DER). */
export function keyIdOf(publicKey: KeyObject): string {
  return `ed25519-${createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16)}`;
}

const invalid = (source: string, problem: string): AppError =>
  new AppError('CONFIG_INVALID', `invalid configuration:\n  ${source}: ${problem}`, { context: { problems: [`${source}: ${problem}`] } });

/** The Ed25519 private key in `pem` (PKCS #8), with its id (given, or derived from the key). `source` names it in errors. */
export function signingKeyFrom(pem: string, keyId: string | undefined, source: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw invalid(source, 'is not a PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw invalid(source, `is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  if (keyId !== undefined && !keyIdPattern.test(keyId)) throw invalid(source, `its key id ${KEY_ID_RULE}`);
  return { keyId: keyId ?? keyIdOf(publicKey), privateKey, publicKey };
}

const jwksSchema = z.object({
  keys: z
    .array(
      z.object({
        kty: z.literal('OKP'),
        crv: z.literal('Ed25519'),
        x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a 32-byte key in base64url'),
        kid: z.string().regex(keyIdPattern, KEY_ID_RULE),
      }),
    )
    .max(1_000),
});

/** The public keys of a JSON Web Key Set (as served, or a file of retired keys), by key id. */
export function publicKeysFromJwks(text: string, source: string): Map<string, KeyObject> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(source, 'is not JSON (a JSON Web Key Set: {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": …, "kid": …}]})');
  }
  const parsed = jwksSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(source, `is not an Ed25519 JSON Web Key Set (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
  }
  const keys = new Map<string, KeyObject>();
  for (const jwk of parsed.data.keys) {
    if (keys.has(jwk.kid)) throw invalid(source, `names key id ${jwk.kid} twice`);
    keys.set(jwk.kid, createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }));
  }
  return keys;
}

/** The ring of a signing key (if any) and retired public keys; a retired key may not reuse the signing key's id. */
export function keyRing(signing: SigningKey | null, retired: ReadonlyMap<string, KeyObject>, source: string): KeyRing {
  if (signing !== null && retired.has(signing.keyId)) throw invalid(source, `names key id ${signing.keyId}, the signing key's own`);
  const publicKeys = new Map(retired);
  if (signing !== null) publicKeys.set(signing.keyId, signing.publicKey);
  return { signing, publicKeys };
}

/** The ring's public keys as a JSON Web Key Set, the signing key first. */
export function jwksOf(ring: KeyRing): { keys: PublicJwk[] } {
  const ordered = [...ring.publicKeys].sort(([a], [b]) =>
    a === ring.signing?.keyId ? -1 : b === ring.signing?.keyId ? 1 : a < b ? -1 : 1,
  );
  return {
    keys: ordered.map(([kid, key]) => {
      const { x } = key.export({ format: 'jwk' });
      return { kty: 'OKP', crv: 'Ed25519', x: x ?? '', kid, use: 'sig', alg: 'EdDSA' };
    }),
  };
}
