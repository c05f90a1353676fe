import mongoose from 'mongoose';

import { foldStarted, foldSucceeded, noWork, perEvent, sumWork, type MongoWork } from '../../../bench/mongo-work';

const size = (document: object) => mongoose.mongo.BSON.calculateObjectSize(document);

const started = (work: MongoWork, command: Record<string, unknown>) =>
  foldStarted(work, { commandName: Object.keys(command)[0] ?? '', command });

describe('folding command events into the store work', () => {
  const insert = { insert: 'audit_records', documents: [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }], ordered: false, $db: 'b' };
  const update = {
    update: 'subscriptions',
    updates: [
      { q: { _id: 's-1' }, u: { _id: 's-1', status: 'suspended' } },
      { q: { _id: 's-2' }, u: { _id: 's-2', status: 'active' } },
    ],
    $db: 'b',
  };
  const find = { find: 'subscriptions', filter: { _id: { $in: ['s-1', 's-2'] } }, $db: 'b' };

  it('counts one command per bulk and a statement per document or entry in it', () => {
    const work = [insert, update, find, { delete: 'x', deletes: [{ q: {}, limit: 0 }], $db: 'b' }].reduce(started, noWork());
    expect(work.commands).toEqual({ insert: 1, update: 1, find: 1, delete: 1 });
    expect(work.statements).toEqual({ insert: 3, update: 2, find: 1, delete: 1 });
  });

  it('counts the whole BSON size of write commands as written, documents included, and nothing for reads', () => {
    const work = [insert, update, find].reduce(started, noWork());
    expect(work.bytesWritten).toBe(size(insert) + size(update));
    const bigger = started(noWork(), { ...insert, documents: [...insert.documents, { _id: 'd', note: 'x'.repeat(1000) }] });
    expect(bigger.bytesWritten - started(noWork(), insert).bytesWritten).toBeGreaterThan(1000);
    expect(
      started(noWork(), { findAndModify: 'subscriptions', query: { _id: 's' }, update: { $set: { a: 1 } } }).bytesWritten,
    ).toBeGreaterThan(0);
  });

  it('counts the replies of reads as read, not those of writes', () => {
    const reply = { cursor: { firstBatch: [{ _id: 's-1', status: 'active' }], id: 0, ns: 'b.subscriptions' }, ok: 1 };
    let work = foldSucceeded(noWork(), { commandName: 'find', reply });
    work = foldSucceeded(work, { commandName: 'getMore', reply });
    work = foldSucceeded(work, { commandName: 'insert', reply: { n: 3, ok: 1 } });
    work = foldSucceeded(work, { commandName: 'find', reply: undefined });
    expect(work.bytesRead).toBe(2 * size(reply));
    expect(work.bytesWritten).toBe(0);
  });

  it('adds the children’s tallies and divides them by the events handled', () => {
    const one = started(noWork(), insert);
    const total = sumWork([one, started(one, update)]);
    expect(total.commands).toEqual({ insert: 2, update: 1 });
    expect(total.statements).toEqual({ insert: 6, update: 2 });
    expect(total.bytesWritten).toBe(2 * size(insert) + size(update));
    const per = perEvent(total, 4);
    expect(per.statements).toEqual({ insert: 1.5, update: 0.5 });
    expect(per.bytesWritten).toBe(total.bytesWritten / 4);
  });
});
