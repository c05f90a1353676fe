import type { Connection } from 'mongoose';

import type { Settings } from '../config/config';
import { AppError } from '../errors';
import { mongoFailure } from './mongo-errors';

/** The servers we store in: MongoDB in production, FerretDB 1.24 (on SQLite) on the local stack and in CI. */
export type StoreServer = 'mongodb' | 'ferretdb';

/**
 * How the store is written, where MongoDB and FerretDB 1.24 differ. This file is the one home of those differences
 * (docs/architecture.md, "The store's dialect"); the repositories take a dialect and ask nothing else about the server.
 *
 * Written once for both, to FerretDB's limits, and so not a difference: no transactions (the commit path's outbox),
 * one `createIndexes` per index (indexes.ts), duplicate keys found by position, not `keyValue` (duplicate-key.ts),
 * per-instant groups instead of date operators (`countDeletionsByDueAt`), one cursor per reconciler pass
 * (`scanWithTimers`), no TTL index on the audit trail.
 */
export interface StoreDialect {
  readonly server: StoreServer;
  /**
   * Replace subscriptions by `{_id}` alone instead of `{_id, version}`. MongoDB applies the version filter atomically
   * and serves it from the `_id` index: it is the fence that makes a writer whose lease lapsed lose the race (and
   * retry) instead of overwriting. FerretDB 1.24 on SQLite serves only an exact-`{_id}` filter from its index (any
   * other scans the collection) and checks a version by reading, then writing: no fence there either way, so it
   * filters by `{_id}` and relies on the per-subscription lock and Redis lease alone.
   */
  readonly filterByIdOnly: boolean;
  /**
   * Statements per bulk write. FerretDB 1.24 holds a backend connection per statement until the whole command ends:
   * a few large bulks at once exhaust its pool and every later write waits forever (docs/development.md). MongoDB
   * takes a slice's replaces in one command.
   */
  readonly bulkChunk: number;
}

/** What each server gets unless a setting says otherwise. */
export const DIALECTS: Readonly<Record<StoreServer, StoreDialect>> = {
  mongodb: { server: 'mongodb', filterByIdOnly: false, bulkChunk: 1_000 },
  ferretdb: { server: 'ferretdb', filterByIdOnly: true, bulkChunk: 20 },
};

export type DialectSettings = Pick<Settings, 'MONGO_BULK_CHUNK' | 'MONGO_FILTER_BY_ID_ONLY'>;

/**
 * The dialect for `server`, with the settings' overrides. `MONGO_FILTER_BY_ID_ONLY=true` is refused on MongoDB: it
 * would drop the only fence there is (CONFIG_INVALID, so the worker does not start). `false` on FerretDB is allowed
 * (the guarded write works there, slowly and without atomicity): the tests run both modes that way.
 */
export function storeDialect(server: StoreServer, settings: DialectSettings): StoreDialect {
  const defaults = DIALECTS[server];
  const filter = settings.MONGO_FILTER_BY_ID_ONLY;
  if (filter === 'true' && server !== 'ferretdb') {
    const problem =
      'MONGO_FILTER_BY_ID_ONLY: true is for FerretDB only, and this server is MongoDB, whose {_id, version} filter is the ' +
      'only fence for a writer whose lease lapsed (set auto or false)';
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problem}`, { context: { problems: [problem] } });
  }
  return {
    server,
    filterByIdOnly: filter === 'auto' ? defaults.filterByIdOnly : filter === 'true',
    bulkChunk: settings.MONGO_BULK_CHUNK ?? defaults.bulkChunk,
  };
}

/** FerretDB answers buildInfo with its own version beside the MongoDB one it emulates. */
export async function detectServer(connection: Connection): Promise<StoreServer> {
  try {
    const info = await connection.db?.admin().command({ buildInfo: 1 });
    return info !== undefined && 'ferretdbVersion' in info ? 'ferretdb' : 'mongodb';
  } catch (error) {
    throw mongoFailure(error, { op: 'buildInfo' });
  }
}

/** The dialect of the server `connection` reaches: what every writer (worker, CLI) builds its repositories with. */
export async function detectDialect(connection: Connection, settings: DialectSettings): Promise<StoreDialect> {
  return storeDialect(await detectServer(connection), settings);
}
