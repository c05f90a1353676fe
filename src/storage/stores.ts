import type { Connection } from 'mongoose';

import type { Settings } from '../config/config';
import { AuditRepository } from './audit.repository';
import { isFerretDb } from './mongo';
import { SubscriptionRepository } from './subscription.repository';

export interface Stores {
  readonly subscriptions: SubscriptionRepository;
  readonly audit: AuditRepository;
}

export type StoreSettings = Pick<Settings, 'MONGO_BULK_CHUNK' | 'MONGO_FILTER_BY_ID_ONLY'>;

/**
 * The repositories every writer uses, built the same way for the worker and the CLI: on FerretDB (found by
 * `buildInfo` when the setting is `auto`) subscriptions are filtered by `{_id}` alone, the only filter it serves from
 * its index (docs/architecture.md).
 */
export async function openStores(connection: Connection, settings: StoreSettings): Promise<Stores> {
  const { MONGO_FILTER_BY_ID_ONLY: byId } = settings;
  const byIdOnly = byId === 'auto' ? await isFerretDb(connection) : byId === 'true';
  return {
    subscriptions: new SubscriptionRepository(connection, settings.MONGO_BULK_CHUNK, byIdOnly),
    audit: new AuditRepository(connection),
  };
}

/** The settings `openStores` reads, for commands that declare what they use. */
export const STORE_SETTINGS = ['MONGO_BULK_CHUNK', 'MONGO_FILTER_BY_ID_ONLY'] as const satisfies readonly (keyof StoreSettings)[];
