import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { jwksOf, keyRing, signingKeyFrom, type SigningKey } from '../../src/proof/keys';

/** A fresh Ed25519 signing key in a file of its own (what DELETION_SIGNING_KEY_FILE names), made for one test. */
export function testSigningKey(keyId?: string): { key: SigningKey; file: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-keys-'));
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const file = path.join(dir, 'signing-key.pem');
  fs.writeFileSync(file, pem, { mode: 0o600 });
  return { key: signingKeyFrom(pem, keyId, file), file, dir };
}

/** A JSON Web Key Set file of these keys' public halves (what DELETION_RETIRED_KEYS_FILE and `--keys` read). */
export function writeKeySet(dir: string, name: string, keys: readonly SigningKey[]): string {
  const file = path.join(dir, name);
  const sets = keys.map((key) => jwksOf(keyRing(key, new Map(), name)).keys).flat();
  fs.writeFileSync(file, JSON.stringify({ keys: sets }));
  return file;
}
