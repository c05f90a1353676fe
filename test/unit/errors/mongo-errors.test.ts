import mongoose, { mongo } from 'mongoose';

import { AppError } from '../../../src/errors';
import { duplicateKeyIndexes } from '../../../src/storage/duplicate-key';
import { connectMongo } from '../../../src/storage/mongo';
import { mongoFailure } from '../../../src/storage/mongo-errors';

const context = { op: 'load', collection: 'subscriptions' };

/** What a driver call throws when nothing listens on the port: the real error, not a look-alike. */
async function unreachable<T>(connect: () => Promise<T>): Promise<unknown> {
  try {
    await connect();
  } catch (error) {
    return error;
  }
  throw new Error('connected to a closed port');
}

describe('mongoFailure', () => {
  it('maps the driver classes of an absent server to DEPENDENCY_UNAVAILABLE, keeping cause and context', async () => {
    const client = new mongo.MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 200 });
    const selection = await unreachable(() => client.connect());
    expect(selection).toBeInstanceOf(mongo.MongoServerSelectionError);
    const failure = mongoFailure(selection, context);
    expect(failure).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, cause: selection, context });
    await client.close();

    for (const error of [
      new mongo.MongoNetworkError('socket closed'),
      new mongo.MongoNetworkTimeoutError('timed out'),
      new mongo.MongoTopologyClosedError(),
      new mongo.MongoNotConnectedError('not connected'),
    ])
      expect(mongoFailure(error, context).code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  it("maps mongoose's failed connect to DEPENDENCY_UNAVAILABLE", async () => {
    const connection = mongoose.createConnection('mongodb://127.0.0.1:1/x', { serverSelectionTimeoutMS: 200 });
    const error = await unreachable(() => connection.asPromise());
    expect(error).toBeInstanceOf(mongoose.Error.MongooseServerSelectionError);
    expect(mongoFailure(error, { op: 'connect' }).code).toBe('DEPENDENCY_UNAVAILABLE');
    await connection.close();
  });

  it('reads server codes and error labels, not messages', () => {
    expect(mongoFailure(new mongo.MongoServerError({ message: 'whatever', code: 91 }), context).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(mongoFailure(new mongo.MongoServerError({ message: 'x', code: 2, errorLabels: ['RetryableWriteError'] }), context).code).toBe(
      'DEPENDENCY_UNAVAILABLE',
    );
    // A query the server rejects is a bug, even when its message sounds like an outage.
    expect(mongoFailure(new mongo.MongoServerError({ message: 'connection refused, not primary', code: 2 }), context)).toMatchObject({
      code: 'INTERNAL',
      retriable: false,
    });
    expect(mongoFailure(new TypeError('undefined is not a function'), context).code).toBe('INTERNAL');
  });

  it('maps a Node socket error by its code', () => {
    expect(mongoFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), context).code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  it('maps an unparseable connection string to CONFIG_INVALID, through connectMongo', async () => {
    const error = await unreachable(() => connectMongo('http://not-mongo'));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', retriable: false });
    expect((error as AppError).cause).toMatchObject({ name: 'MongoParseError' });
    expect(mongoFailure(new mongo.MongoParseError('bad option'), { op: 'connect' }).code).toBe('CONFIG_INVALID');
  });

  it('passes an AppError through unchanged', () => {
    const busy = new AppError('SUBSCRIPTION_BUSY', 'held');
    expect(mongoFailure(busy, context)).toBe(busy);
  });
});

describe('duplicateKeyIndexes', () => {
  it('returns the positions refused as duplicates (an expected outcome, not a failure)', () => {
    const error = Object.assign(new Error('E11000'), { writeErrors: [{ code: 11000, index: 2 }, { err: { code: 11000, index: 0 } }] });
    expect(duplicateKeyIndexes(error, context)).toEqual([2, 0]);
  });

  it('throws anything else as the AppError it maps to', () => {
    const network = new mongo.MongoNetworkError('socket closed');
    expect(() => duplicateKeyIndexes(network, context)).toThrow(
      expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE', cause: network }),
    );
    const other = Object.assign(new Error('validation'), { writeErrors: [{ code: 121, index: 0 }] });
    expect(() => duplicateKeyIndexes(other, context)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
