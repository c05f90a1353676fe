import type { Connection } from 'mongoose';

import { DIALECTS, type StoreDialect } from '../../../src/storage/store-dialect';
import { SubscriptionRepository, type PendingWrite, type SubscriptionDocument } from '../../../src/storage/subscription.repository';
import { aSubscription } from '../../support/factories';

type Replace = { replaceOne: { filter: Record<string, unknown>; replacement: SubscriptionDocument } };

/**
 * A collection that applies replaces as a server would, against versions it holds: a `{_id, version}` filter matches
 * only the stored version, `{_id}` any stored document. `changedMeanwhile` is what another writer stored since our read.
 */
function fakeServer(stored: Record<string, number>, changedMeanwhile: Record<string, number> = {}) {
  const docs = new Map<string, { version: number; writeToken: string }>(
    Object.entries({ ...stored, ...changedMeanwhile }).map(([id, version]) => [id, { version, writeToken: 'other' }]),
  );
  const bulks: Replace[][] = [];
  const collection = {
    bulkWrite: (operations: Replace[]) => {
      bulks.push(operations);
      let matchedCount = 0;
      for (const { replaceOne } of operations) {
        const id = replaceOne.filter._id as string;
        const doc = docs.get(id);
        const matches = doc !== undefined && (!('version' in replaceOne.filter) || replaceOne.filter.version === doc.version);
        if (!matches) continue;
        matchedCount++;
        docs.set(id, { version: replaceOne.replacement.version, writeToken: replaceOne.replacement.writeToken });
      }
      return Promise.resolve({ matchedCount });
    },
    find: (filter: { _id: { $in: string[] }; writeToken: string }) => ({
      toArray: () => Promise.resolve(filter._id.$in.filter((id) => docs.get(id)?.writeToken === filter.writeToken).map((_id) => ({ _id }))),
    }),
  };
  const connection = { collection: () => collection } as unknown as Connection;
  return { connection, bulks, ours: (id: string) => docs.get(id)?.writeToken !== 'other' };
}

const TOKEN = 'this-commit';

const write = (subscriptionId: string, expectedVersion: number): PendingWrite => ({
  state: aSubscription({ subscriptionId }),
  expectedVersion,
  outbox: [],
});

describe('SubscriptionRepository.write, the lost-race branch', () => {
  const guarded: StoreDialect = { ...DIALECTS.mongodb, bulkChunk: 2 };

  it('names exactly the subscriptions another writer changed since the read, across bulks, and writes the rest', async () => {
    // sub-b and sub-d were written by someone else after we read them at version 3.
    const server = fakeServer({ 'sub-a': 3, 'sub-c': 3, 'sub-e': 3 }, { 'sub-b': 4, 'sub-d': 4 });
    const repository = new SubscriptionRepository(server.connection, guarded);

    const lost = await repository.write(
      ['sub-a', 'sub-b', 'sub-c', 'sub-d', 'sub-e'].map((id) => write(id, 3)),
      TOKEN,
    );

    expect(lost).toEqual(new Set(['sub-b', 'sub-d']));
    expect(server.bulks.map((bulk) => bulk.length)).toEqual([2, 2, 1]);
    expect(server.bulks.flat().map((operation) => operation.replaceOne.filter)).toEqual([
      { _id: 'sub-a', version: 3 },
      { _id: 'sub-b', version: 3 },
      { _id: 'sub-c', version: 3 },
      { _id: 'sub-d', version: 3 },
      { _id: 'sub-e', version: 3 },
    ]);
    // The other writer's versions of sub-b and sub-d stand.
    expect(['sub-a', 'sub-b', 'sub-c', 'sub-d', 'sub-e'].map(server.ours)).toEqual([true, false, true, false, true]);
  });

  it('reports no loss when every filter matched, without asking the server which writes won', async () => {
    const server = fakeServer({ 'sub-a': 1 });
    const repository = new SubscriptionRepository(server.connection, guarded);
    expect(await repository.write([write('sub-a', 1)], TOKEN)).toEqual(new Set());
  });

  it('filtering by {_id} alone (FerretDB) has no fence: the stale write overwrites and nothing is reported lost', async () => {
    const server = fakeServer({}, { 'sub-b': 4 });
    const repository = new SubscriptionRepository(server.connection, { ...DIALECTS.ferretdb, bulkChunk: 2 });

    expect(await repository.write([write('sub-b', 3)], TOKEN)).toEqual(new Set());
    expect(server.bulks.flat().map((operation) => operation.replaceOne.filter)).toEqual([{ _id: 'sub-b' }]);
    expect(server.ours('sub-b')).toBe(true);
  });
});
