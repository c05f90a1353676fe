import { createHash } from 'node:crypto';

import type { EntryClock, Hold, LegalHold } from './subscription';

/**
 * What a subscription remembers of its history, bounded whatever that history is (issue 21: a document that holds the
 * subscription, not its past). Both are caches in front of the audit trail, which keeps every event for good.
 */

/** Characters of a fingerprint: 72 bits of SHA-256, base64url. */
export const FINGERPRINT_LENGTH = 12;

/**
 * An event id as the dedupe window keeps it: fixed-size whatever the id's length. Two ids share one with probability
 * 2^-72 per pair; a hit drops the event as a duplicate, so a window of 16 errs about once in 3·10^20 events.
 */
export function eventFingerprint(eventId: string): string {
  return createHash('sha256').update(eventId, 'utf8').digest('base64url').slice(0, FINGERPRINT_LENGTH);
}

/**
 * A window that holds fewer fingerprints than this never dropped one: every event applied is in it. At or above it,
 * an event not in the window may have left it, and the audit trail is asked (see `lateCandidates`). The smallest
 * window DEDUPE_WINDOW allows, so raising the setting later never makes a full window look complete.
 */
export const DEDUPE_WINDOW_MIN = 16;

/** Clocks of entries closed (an invoice settled, a case cleared) kept besides the open ones, most recent first out last. */
export const CLOSED_ENTRY_CLOCKS = 4;

/**
 * An entry is open while its hold (or legal hold) stands: its clock must stay, or a late event could reopen what a later
 * one closed. Closed entries keep their clocks only while among the last CLOSED_ENTRY_CLOCKS changed: an event for an
 * entry closed longer ago is then judged without its clock (a redelivery of it is still a duplicate by its event id).
 */
function isOpen(key: string, holds: readonly Hold[], legalHold: LegalHold | null): boolean {
  if (key === 'legal_hold') return legalHold !== null;
  if (key === 'customer_request') return holds.some((hold) => hold.reason === 'customer_request');
  const slash = key.indexOf('/');
  const reason = key.slice(0, slash);
  const ref = key.slice(slash + 1);
  return holds.some((hold) => hold.reason === reason && hold.refs.includes(ref));
}

/** The clocks kept after a change: every open entry's, and the latest closed ones' (clocks are kept oldest first). */
export function boundClocks(clocks: readonly EntryClock[], holds: readonly Hold[], legalHold: LegalHold | null): readonly EntryClock[] {
  let closed = 0;
  const kept: EntryClock[] = [];
  for (let index = clocks.length - 1; index >= 0; index--) {
    const clock = clocks[index];
    if (clock === undefined) continue;
    if (isOpen(clock.key, holds, legalHold) || closed++ < CLOSED_ENTRY_CLOCKS) kept.push(clock);
  }
  return kept.length === clocks.length ? clocks : kept.reverse();
}
