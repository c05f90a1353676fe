import { deletionHorizonMs, type Millis, type Policy, type Subscription } from '../domain';
import type { SubscriptionRepository } from '../storage/subscription.repository';
import { forecastWindowEnd } from './deletion-forecast';

const DAY_MS = 86_400_000;

/**
 * How many days "upcoming deletions" cover (the API's and the CLI's default, the console's forecast and list): every
 * pending deletion's due date lies within them (the configured delay, or a legal hold's release grace if longer), in
 * whole days.
 */
export function upcomingWindowDays(policy: Pick<Policy, 'deletionDelayMs' | 'legalHoldReleaseGraceMs'>): number {
  return Math.max(1, Math.ceil(deletionHorizonMs(policy) / DAY_MS));
}

/** The end of that window from `now`: the same instant for the list and the forecast, so count and list agree. */
export function upcomingWindowEnd(now: Millis, policy: Pick<Policy, 'deletionDelayMs' | 'legalHoldReleaseGraceMs'>): Millis {
  return forecastWindowEnd(now, upcomingWindowDays(policy));
}

export interface DeletionPage {
  readonly items: readonly Subscription[];
  /** Pass back as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

/** Subscriptions whose deletion is due before `dueBefore`, soonest first, paginated by a (dueAt, id) cursor. */
export async function upcomingDeletions(
  subscriptions: SubscriptionRepository,
  options: { dueBefore: number; limit: number; after?: string | undefined },
): Promise<DeletionPage> {
  const items = await subscriptions.dueForDeletion(options.dueBefore, options.limit + 1, decodeCursor(options.after));
  const page = items.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page,
    next: items.length > options.limit && last?.deletion ? encodeCursor(last.deletion.dueAt, last.subscriptionId) : null,
  };
}

export function encodeCursor(dueAt: number, subscriptionId: string): string {
  return Buffer.from(JSON.stringify([dueAt, subscriptionId])).toString('base64url');
}

/** A cursor is opaque to clients; a malformed one is refused rather than guessed at. */
export function decodeCursor(cursor: string | undefined): { dueAt: number; subscriptionId: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string')
      return { dueAt: value[0], subscriptionId: value[1] };
  } catch {
    // fall through
  }
  throw new RangeError('invalid cursor');
}
