import { envelopeSchema } from './envelope';

/** What identifies an event: a correction may not change it, or a replay could forge any event from any letter. */
const IDENTITY = ['eventId', 'type', 'subscriptionId', 'tenantId', 'customerId'] as const;

function objectOf(json: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Whether the original's field passed validation: only a field that failed it may be corrected. */
function validField(field: (typeof IDENTITY)[number], value: unknown): boolean {
  return envelopeSchema.shape[field].safeParse(value).success;
}

/**
 * Why a corrected value may not replace the original, or null when it may. The corrected event must keep the
 * original's eventId, type, subscriptionId, tenantId and customerId, except a field that failed validation there.
 * When the original is not a JSON object (bad JSON, or only its preview is kept), each of those values must appear in
 * its text as a JSON string, so a truncated or malformed letter can be repaired but not turned into another event.
 */
export function checkCorrection(original: Buffer | string | null, corrected: Buffer): string | null {
  const fixed = objectOf(corrected.toString('utf8'));
  if (fixed === null) return 'is not a JSON object';
  if (original === null) return 'cannot be checked: the letter keeps neither its value nor a preview';
  const text = typeof original === 'string' ? original : original.toString('utf8');
  const parsed = objectOf(text);
  for (const field of IDENTITY) {
    const value = fixed[field];
    if (parsed !== null) {
      if (!Object.hasOwn(parsed, field) || !validField(field, parsed[field])) continue;
      if (value !== parsed[field])
        return `changes ${field} from ${JSON.stringify(parsed[field])} to ${JSON.stringify(value)}; a correction keeps the event's identity (eventId, type, subscriptionId, tenantId, customerId) and only fixes what failed validation`;
    } else if (typeof value !== 'string' || !text.includes(JSON.stringify(value))) {
      return `sets ${field} to ${JSON.stringify(value)}, which the original (not a JSON object) does not contain; a correction keeps the event's identity and only fixes what failed validation`;
    }
  }
  return null;
}
