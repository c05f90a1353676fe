import type { Connection } from 'mongoose';

import { AuditRepository } from './audit.repository';
import { detectDialect, type DialectSettings } from './store-dialect';
import { SubscriptionRepository } from './subscription.repository';

export interface Stores {
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
}

export type StoreSettings = DialectSettings;

/**
 * The repositories every writer uses, built the same way for the worker and the CLI, in the dialect of the server
 * they reach (store-dialect.ts: found by `buildInfo`; a setting that does not fit the server stops the start-up).
 */
export async function openStores(connection: Connection, settings: StoreSettings): Promise<Stores> {
  return {
    subscriptions: new SubscriptionRepository(connection, await detectDialect(connection, settings)),
    audit: new AuditRepository(connection),
  };
}

/** The settings `openStores` reads, for commands that declare what they use. */
export const STORE_SETTINGS = ['MONGO_BULK_CHUNK', 'MONGO_FILTER_BY_ID_ONLY'] as const satisfies readonly (keyof StoreSettings)[];
