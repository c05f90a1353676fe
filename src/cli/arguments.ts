import { InvalidArgumentError } from 'commander';

import { NO_UNSAFE_CHARACTERS, UNSAFE_CHARACTERS_MESSAGE } from '../control-characters';
import { ID_PATTERN } from '../contract/envelope';
import { parseDuration } from '../domain';

/** A whole number within bounds, for options such as --limit. */
export function wholeNumber(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

/** A subscription id as the event contract defines it; anything else cannot name a subscription. */
export function subscriptionId(text: string): string {
  if (!ID_PATTERN.test(text)) throw new InvalidArgumentError(`must match ${ID_PATTERN.source}`);
  return text;
}

/** A point in time given either absolutely or as a duration from now. */
export type When = { readonly kind: 'at'; readonly at: number } | { readonly kind: 'in'; readonly ms: number };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

export function when(text: string): When {
  if (RFC3339.test(text) && !Number.isNaN(Date.parse(text))) return { kind: 'at', at: Date.parse(text) };
  try {
    return { kind: 'in', ms: parseDuration(text) };
  } catch {
    throw new InvalidArgumentError('must be an RFC 3339 date-time (2026-03-01T00:00:00Z) or a duration from now (P7D, PT12H)');
  }
}

export function resolveWhen(value: When, now: number): number {
  return value.kind === 'at' ? value.at : now + value.ms;
}

/** Free text an operator gives (a reason, a name): recorded in the audit trail, so bounded and printable, as the HTTP API wants it. */
export function operatorText(text: string): string {
  if (!/\S/.test(text) || text.length > 500 || !NO_UNSAFE_CHARACTERS.test(text)) {
    throw new InvalidArgumentError(`must be 1 to 500 characters and not blank; ${UNSAFE_CHARACTERS_MESSAGE}`);
  }
  return text;
}
