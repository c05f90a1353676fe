import mongoose, { type Connection } from 'mongoose';

import { mongoClientOptions } from '../config/mongo-uri';
import { mongoConnectFailure } from './mongo-errors';

/**
 * One connection for the process; every repository takes it as a parameter. Our pool size and server-selection
 * timeout apply unless MONGODB_URI sets its own. A server that refuses the settings is CONFIG_INVALID.
 */
export async function connectMongo(uri: string): Promise<Connection> {
  let connection: Connection | undefined;
  try {
    connection = mongoose.createConnection(uri, { ...mongoClientOptions(uri), autoIndex: false });
    await connection.asPromise();
    return connection;
  } catch (error) {
    // A refused connection keeps its client's monitors running: close it, or the process never exits.
    await connection?.close().catch(() => undefined);
    throw mongoConnectFailure(error);
  }
}
