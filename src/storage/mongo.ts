import mongoose, { type Connection } from 'mongoose';

import { mongoFailure } from './mongo-errors';

/** One connection for the process; every repository takes it as a parameter. */
export async function connectMongo(uri: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 5_000,
    // Fail fast while the server is away: the caller's retry loop owns waiting.
    maxPoolSize: 20,
    autoIndex: false,
  });
  try {
    await connection.asPromise();
  } catch (error) {
    throw mongoFailure(error, { op: 'connect' });
  }
  return connection;
}
