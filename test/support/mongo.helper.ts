import mongoose, { type Connection } from 'mongoose';

import { stackConnection } from './stack-env';
import { uniqueName } from './unique-name';

export interface TestDatabase {
  readonly connection: Connection;
  /** Drops the database and closes the connection. */
  readonly drop: () => Promise<void>;
}

/** A mongoose connection to a database of its own, named `prefix-<uuid>`. */
export async function connectTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const connection = await mongoose
    .createConnection(stackConnection().MONGODB_URI, { dbName: uniqueName(prefix), serverSelectionTimeoutMS: 10_000 })
    .asPromise();
  return {
    connection,
    drop: async () => {
      try {
        await connection.dropDatabase();
      } finally {
        await connection.close();
      }
    },
  };
}
