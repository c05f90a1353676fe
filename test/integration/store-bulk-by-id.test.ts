import mongoose, { type Connection, type mongo } from 'mongoose';

import { stackConnection } from '../support/stack-env';
import { uniqueName } from '../support/unique-name';
import { withDatabase } from '../support/worker-harness';

interface Doc {
  _id: string;
  n: number;
  s?: string;
  t?: boolean;
  arr?: number[];
}

/** Rejects if `work` has not settled within `ms`: a hung server fails the test instead of the suite's timeout. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (the server hung)`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A bulk of single-document writes by exact `{_id}`: how the commit path writes subscriptions. On FerretDB 1.24 our
 * patch 0004 (tools/stack/ferretdb/patches) reads such a bulk in one query and writes it in one transaction; upstream
 * kept every statement's query open until the command ended, so a few bulks of a hundred statements at once took
 * every pooled connection and hung the database for good. The same bulks must also mean on either server what they
 * mean on MongoDB: statements in order, each on the document as the ones before it left it.
 */
describe('bulk writes by _id', () => {
  let connection: Connection;
  beforeAll(async () => {
    const database = uniqueName('bulk').slice(0, 30);
    connection = await mongoose.createConnection(withDatabase(stackConnection().MONGODB_URI, database)).asPromise();
  });
  afterAll(async () => {
    // A hung database (the first test failing) answers nothing: do not wait on it.
    await within(10_000, 'dropDatabase', connection.dropDatabase()).catch(() => undefined);
    await connection.close(true);
  });

  it('several bulks of hundreds of statements at once all finish, each write applied', async () => {
    const collection = connection.collection<Doc>('many');
    await collection.insertMany(Array.from({ length: 800 }, (_, i) => ({ _id: `s-${i}`, n: i })));
    const bulk = (part: number): mongo.AnyBulkWriteOperation<Doc>[] =>
      Array.from({ length: 200 }, (_, i) => ({ updateOne: { filter: { _id: `s-${part * 200 + i}` }, update: { $inc: { n: 1_000 } } } }));
    const results = await within(
      60_000,
      'four bulks of 200 updates',
      Promise.all([0, 1, 2, 3].map((part) => collection.bulkWrite(bulk(part), { ordered: false }))),
    );
    expect(results.map((result) => [result.matchedCount, result.modifiedCount])).toEqual([0, 1, 2, 3].map(() => [200, 200]));
    const docs = await collection.find({}).sort({ n: 1 }).toArray();
    expect(docs.map((doc) => doc.n)).toEqual(Array.from({ length: 800 }, (_, i) => i + 1_000).sort((a, b) => a - b));
  }, 120_000);

  it('statements apply in order, to what the statements before them wrote', async () => {
    const collection = connection.collection<Doc>('order');
    await collection.insertMany([
      { _id: 'a', n: 1, s: 'x' },
      { _id: 'b', n: 2, s: 'y' },
      { _id: 'c', n: 3, s: 'z' },
    ]);
    const result = await collection.bulkWrite(
      [
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 10 } } } },
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 100 }, $push: { arr: 1 } } } },
        { updateOne: { filter: { _id: 'missing' }, update: { $set: { n: 0 } } } },
        { replaceOne: { filter: { _id: 'b' }, replacement: { n: 20, t: true } } },
        { updateOne: { filter: { _id: 'c' }, update: { $set: { n: 3 } } } },
        { updateOne: { filter: { _id: 'a' }, update: { $unset: { s: '' }, $push: { arr: 2 } } } },
      ],
      { ordered: false },
    );
    // 'missing' matches nothing; c's $set changes nothing, so it matches without modifying.
    expect([result.matchedCount, result.modifiedCount, result.upsertedCount]).toEqual([5, 4, 0]);
    expect(await collection.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', n: 111, arr: [1, 2] },
      { _id: 'b', n: 20, t: true },
      { _id: 'c', n: 3, s: 'z' },
    ]);
  }, 60_000);

  it('a statement that fails leaves the ones before it written and the document it names unchanged', async () => {
    const collection = connection.collection<Doc>('failing');
    await collection.insertMany([
      { _id: 'a', n: 1, s: 'x' },
      { _id: 'b', n: 2, s: 'y' },
    ]);
    // The raw command: the driver's types refuse $inc of a string field, which is what this statement asks.
    const reply = await connection.db?.command({
      update: 'failing',
      updates: [
        { q: { _id: 'a' }, u: { $set: { s: 'written' } } },
        { q: { _id: 'b' }, u: { $set: { n: 99 }, $inc: { s: 1 } } },
      ],
      ordered: true,
    });
    // Only the message: FerretDB 1.24 reports the failure at index 0 and no count, where MongoDB says index 1 and n 1.
    expect(reply).toMatchObject({ writeErrors: [{ errmsg: expect.stringMatching(/non-numeric/) as unknown }] });
    expect(await collection.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', n: 1, s: 'written' },
      { _id: 'b', n: 2, s: 'y' },
    ]);
  }, 60_000);
});
