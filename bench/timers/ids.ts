import { createHash } from 'node:crypto';

/** Subscription ids of a given length, deterministic so runs compare: `sub-00000042` (12) or a UUID-shaped 36. */
export function subscriptionId(index: number, length: 12 | 36): string {
  if (length === 12) return `sub-${String(index).padStart(8, '0')}`;
  const hex = createHash('sha1').update(String(index)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function* batches(total: number, size: number): Generator<{ start: number; end: number }> {
  for (let start = 0; start < total; start += size) yield { start, end: Math.min(total, start + size) };
}
