import { mongoFailure } from './mongo-errors';

export interface IndexSpec {
  readonly key: Readonly<Record<string, 1 | -1>>;
  readonly name?: string;
  readonly unique?: boolean;
}

/**
 * Creates indexes one command each. FerretDB 1.24 drops the connection (a server-side panic) when one
 * `createIndexes` command names several indexes that already exist, which every restart would do.
 */
export async function ensureIndexes(
  collection: {
    readonly collectionName: string;
    createIndexes(specs: { key: Record<string, 1 | -1>; name?: string; unique?: boolean }[]): Promise<unknown>;
  },
  indexes: readonly IndexSpec[],
): Promise<void> {
  try {
    for (const index of indexes) await collection.createIndexes([{ ...index, key: { ...index.key } }]);
  } catch (error) {
    throw mongoFailure(error, { op: 'createIndexes', collection: collection.collectionName });
  }
}
