import { mongoFailure, type MongoContext } from './mongo-errors';

/**
 * The positions, in an unordered bulk insert, of the documents refused as duplicate keys (code 11000); rethrows the
 * error when anything else failed. FerretDB reports the code on the write error itself, the driver sometimes under
 * `err`; neither gives `keyValue` on FerretDB, so the position is what tells which document it was. Anything else is
 * thrown as the AppError it maps to.
 */
export function duplicateKeyIndexes(error: unknown, context: MongoContext): number[] {
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors === undefined ? [] : [writeErrors]) as {
    code?: number;
    index?: number;
    err?: { code?: number; index?: number };
  }[];
  if (list.length === 0 || list.some((entry) => (entry.code ?? entry.err?.code) !== 11000)) throw mongoFailure(error, context);
  return list.flatMap((entry) => {
    const index = entry.index ?? entry.err?.index;
    return index === undefined ? [] : [index];
  });
}
