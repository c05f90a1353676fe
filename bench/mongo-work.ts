import mongoose, { type Connection } from 'mongoose';

/** What a process asked of MongoDB, from the driver's command monitoring; divided by events, what it asked per event. */
export interface MongoWork {
  /** Commands by name: an insert of 20 documents is one. */
  readonly commands: Readonly<Record<string, number>>;
  /** Statements by command name: an insert's documents, an update's or delete's entries; 1 for any other command. */
  readonly statements: Readonly<Record<string, number>>;
  /** BSON bytes of the write commands, their documents and updates included. */
  readonly bytesWritten: number;
  /** BSON bytes of the replies to reads. */
  readonly bytesRead: number;
}

type Body = Readonly<Record<string, unknown>>;

const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify', 'bulkWrite']);
const READS = new Set(['find', 'getMore', 'aggregate']);
/** Where a bulk command carries its statements (the driver puts OP_MSG document sequences back in these for monitoring). */
const STATEMENT_LISTS: Readonly<Record<string, string>> = { insert: 'documents', update: 'updates', delete: 'deletes', bulkWrite: 'ops' };

const bsonSize = (document: Body): number => mongoose.mongo.BSON.calculateObjectSize(document);

export const noWork = (): MongoWork => ({ commands: {}, statements: {}, bytesWritten: 0, bytesRead: 0 });

const add = (counts: Readonly<Record<string, number>>, name: string, n: number) => ({ ...counts, [name]: (counts[name] ?? 0) + n });

/** Folds one `commandStarted` event: counts it and its statements, and a write's size. */
export function foldStarted(work: MongoWork, event: { readonly commandName: string; readonly command: Body }): MongoWork {
  const { commandName: name, command } = event;
  const list = STATEMENT_LISTS[name] === undefined ? undefined : command[STATEMENT_LISTS[name]];
  return {
    ...work,
    commands: add(work.commands, name, 1),
    statements: add(work.statements, name, Array.isArray(list) ? list.length : 1),
    bytesWritten: work.bytesWritten + (WRITES.has(name) ? bsonSize(command) : 0),
  };
}

/** Folds one `commandSucceeded` event: a read's reply size. */
export function foldSucceeded(work: MongoWork, event: { readonly commandName: string; readonly reply: unknown }): MongoWork {
  if (!READS.has(event.commandName) || typeof event.reply !== 'object' || event.reply === null) return work;
  return { ...work, bytesRead: work.bytesRead + bsonSize(event.reply as Body) };
}

export function sumWork(works: readonly MongoWork[]): MongoWork {
  const sum = (pick: (work: MongoWork) => Readonly<Record<string, number>>) =>
    works.reduce<Record<string, number>>((total, work) => {
      for (const [name, n] of Object.entries(pick(work))) total[name] = (total[name] ?? 0) + n;
      return total;
    }, {});
  return {
    commands: sum((work) => work.commands),
    statements: sum((work) => work.statements),
    bytesWritten: works.reduce((total, work) => total + work.bytesWritten, 0),
    bytesRead: works.reduce((total, work) => total + work.bytesRead, 0),
  };
}

export function perEvent(work: MongoWork, events: number): MongoWork {
  const n = Math.max(1, events);
  const divide = (counts: Readonly<Record<string, number>>) => Object.fromEntries(Object.entries(counts).map(([name, c]) => [name, c / n]));
  return {
    commands: divide(work.commands),
    statements: divide(work.statements),
    bytesWritten: work.bytesWritten / n,
    bytesRead: work.bytesRead / n,
  };
}

/**
 * Tallies what `connection`'s client asks of MongoDB from now on. The bench's MONGODB_URI carries
 * `monitorCommands=true` (unless BENCH_MONITOR_COMMANDS=false: then the tally is empty); with it on, an empty tally
 * means the events never arrived, and is refused.
 */
export function watchCommands(connection: Connection): () => MongoWork {
  let work = noWork();
  const client = connection.getClient();
  // Monitoring turned off on purpose (BENCH_MONITOR_COMMANDS=false): nothing to tally.
  if (!client.options.monitorCommands) return () => work;
  client.on('commandStarted', (event) => (work = foldStarted(work, event)));
  client.on('commandSucceeded', (event) => (work = foldSucceeded(work, event)));
  return () => {
    if (Object.keys(work.commands).length === 0) throw new Error('no MongoDB command was seen: is monitorCommands=true in MONGODB_URI?');
    return work;
  };
}
