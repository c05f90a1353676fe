import type { Connection } from 'mongoose';

import { AppError, classOf, EXIT } from '../../../src/errors';
import { openStores } from '../../../src/storage/stores';
import { DIALECTS, detectServer, storeDialect } from '../../../src/storage/store-dialect';

/** A connection as far as dialect detection and the repositories' constructors go: what `buildInfo` answers. */
function serverAnswering(buildInfo: Record<string, unknown>): Connection {
  return {
    db: { admin: () => ({ command: () => Promise.resolve(buildInfo) }) },
    collection: () => ({}),
  } as unknown as Connection;
}
const MONGODB = { version: '7.0.14', gitVersion: 'abc' };
const FERRETDB = { version: '7.0.77', ferretdbVersion: 'v1.24.2' };

describe('the store dialect', () => {
  it("defaults are MongoDB's: version-guarded replaces, a slice's replaces in one bulk", () => {
    expect(storeDialect('mongodb', { MONGO_FILTER_BY_ID_ONLY: 'auto', MONGO_BULK_CHUNK: undefined })).toEqual({
      server: 'mongodb',
      filterByIdOnly: false,
      bulkChunk: 1_000,
    });
  });

  it('on FerretDB, auto picks its workarounds: {_id} filters and bulks of 20, as detection finds it', () => {
    expect(storeDialect('ferretdb', { MONGO_FILTER_BY_ID_ONLY: 'auto', MONGO_BULK_CHUNK: undefined })).toEqual(DIALECTS.ferretdb);
    expect(DIALECTS.ferretdb).toEqual({ server: 'ferretdb', filterByIdOnly: true, bulkChunk: 20 });
  });

  it('settings override: the guarded path forced on FerretDB, a bulk size of their own on either', () => {
    expect(storeDialect('ferretdb', { MONGO_FILTER_BY_ID_ONLY: 'false', MONGO_BULK_CHUNK: 5 })).toEqual({
      server: 'ferretdb',
      filterByIdOnly: false,
      bulkChunk: 5,
    });
    expect(storeDialect('ferretdb', { MONGO_FILTER_BY_ID_ONLY: 'true', MONGO_BULK_CHUNK: undefined }).filterByIdOnly).toBe(true);
    expect(storeDialect('mongodb', { MONGO_FILTER_BY_ID_ONLY: 'false', MONGO_BULK_CHUNK: 200 }).bulkChunk).toBe(200);
  });

  it('refuses MONGO_FILTER_BY_ID_ONLY=true on MongoDB: a configuration error (exit 78) naming the setting', () => {
    const refuse = () => storeDialect('mongodb', { MONGO_FILTER_BY_ID_ONLY: 'true', MONGO_BULK_CHUNK: undefined });
    expect(refuse).toThrow(AppError);
    expect(refuse).toThrow(/MONGO_FILTER_BY_ID_ONLY: true is for FerretDB only/);
    let thrown: unknown;
    try {
      refuse();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'CONFIG_INVALID', retriable: false });
    expect(classOf(thrown).exit).toBe(EXIT.config);
  });

  it('tells the servers apart by buildInfo', async () => {
    expect(await detectServer(serverAnswering(MONGODB))).toBe('mongodb');
    expect(await detectServer(serverAnswering(FERRETDB))).toBe('ferretdb');
  });

  it('openStores, at start-up, refuses true on a server that is not FerretDB and builds each in its dialect otherwise', async () => {
    await expect(
      openStores(serverAnswering(MONGODB), { MONGO_FILTER_BY_ID_ONLY: 'true', MONGO_BULK_CHUNK: undefined }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    const onMongo = await openStores(serverAnswering(MONGODB), { MONGO_FILTER_BY_ID_ONLY: 'auto', MONGO_BULK_CHUNK: undefined });
    const onFerret = await openStores(serverAnswering(FERRETDB), { MONGO_FILTER_BY_ID_ONLY: 'auto', MONGO_BULK_CHUNK: undefined });
    expect([onMongo.subscriptions.dialect, onFerret.subscriptions.dialect]).toEqual([DIALECTS.mongodb, DIALECTS.ferretdb]);
  });
});
