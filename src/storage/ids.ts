import { createHash } from 'node:crypto';

/** A stable id from its parts: the same inputs on a retry give the same id, so writes and publishes stay idempotent. */
export function stableId(...parts: readonly (string | number)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(String(part)).update('\u0000');
  return hash.digest('base64url').slice(0, 32);
}
