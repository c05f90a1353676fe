import mongoose, { mongo } from 'mongoose';

import { AppError } from '../../../src/errors';
import { duplicateKeyIndexes } from '../../../src/storage/duplicate-key';
import { connectMongo } from '../../../src/storage/mongo';
import { mongoConnectFailure, mongoFailure } from '../../../src/storage/mongo-errors';

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

describe('mongoConnectFailure', () => {
  it('names the setting when the server refused the credentials (an outage to wait out after start-up, not at it)', () => {
    const refused = new mongo.MongoServerError({
      message: 'Authentication failed.',
      code: 18,
      codeName: 'AuthenticationFailed',
      errorLabels: ['HandshakeError', 'ResetPool'],
    });
    expect(mongoFailure(refused, { op: 'load' }).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(mongoConnectFailure(refused)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^MONGODB_URI: the server refused to authenticate \(AuthenticationFailed: Authentication failed\.\)/),
      cause: refused,
    });
  });

  it('names replicaSet when every seed answered but none belongs to the set', async () => {
    // A closed port stays in the topology as Unknown: an outage, not a wrong set name.
    const client = new mongo.MongoClient('mongodb://127.0.0.1:1/db?replicaSet=rs0', { serverSelectionTimeoutMS: 200 });
    const away = await unreachable(() => client.connect());
    expect(mongoConnectFailure(away).code).toBe('DEPENDENCY_UNAVAILABLE');
    await client.close();
    const dropped = Object.assign(
      new mongo.MongoServerSelectionError('Server selection timed out after 5000 ms', {
        type: 'ReplicaSetNoPrimary',
        setName: 'rs0',
        servers: new Map(),
      } as unknown as mongo.TopologyDescription),
    );
    expect(mongoConnectFailure(dropped).message).toMatch(/^MONGODB_URI: replicaSet names a set no server in the URI belongs to/);
  });

  it('names tlsCAFile when the server certificate is not trusted', () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const network = new mongo.MongoNetworkError('self-signed certificate in certificate chain', { cause: untrusted });
    const selection = new mongo.MongoServerSelectionError('self-signed certificate in certificate chain', {
      type: 'Unknown',
      servers: new Map([['db.example:27017', { type: 'Unknown', error: network }]]),
    } as unknown as mongo.TopologyDescription);
    expect(mongoConnectFailure(selection)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('(SELF_SIGNED_CERT_IN_CHAIN): add tlsCAFile=/path/to/ca.pem'),
    });
  });

  it('maps options the driver refuses to CONFIG_INVALID, and an absent server as mongoFailure does', () => {
    expect(mongoConnectFailure(new mongo.MongoInvalidArgumentError('lz4 is not a valid compression mechanism')).code).toBe(
      'CONFIG_INVALID',
    );
    expect(
      mongoConnectFailure(
        new mongo.MongoMissingDependencyError('Optional module `snappy` not found', {
          cause: new Error('absent'),
          dependencyName: 'snappy',
        }),
      ),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'MONGODB_URI: Optional module `snappy` not found',
    });
    expect(mongoConnectFailure(new mongo.MongoNetworkError('socket closed')).code).toBe('DEPENDENCY_UNAVAILABLE');
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
