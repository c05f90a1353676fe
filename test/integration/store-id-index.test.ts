import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import mongoose, { type Connection } from 'mongoose';

import { stackLayout } from '../../tools/stack/layout';
import { detectServer, type StoreServer } from '../../src/storage/store-dialect';
import { stackConnection } from '../support/stack-env';
import { uniqueName } from '../support/unique-name';
import { withDatabase } from '../support/worker-harness';

interface Doc {
  _id: string;
  n: number;
  pad: string;
}

const pad = 'x'.repeat(900);

async function fill(connection: Connection, name: string, count: number): Promise<void> {
  const collection = connection.collection<Doc>(name);
  for (let start = 0; start < count; start += 10_000) {
    const docs = Array.from({ length: Math.min(10_000, count - start) }, (_, i) => ({ _id: `sub-${start + i}`, n: start + i, pad }));
    await collection.insertMany(docs, { ordered: false });
  }
}

/** What the server says it does for an exact-`{_id}` find (or the given filter). */
async function findPlan(connection: Connection, name: string, filter: Record<string, unknown> = { _id: 'sub-7' }): Promise<string> {
  const explained = await connection.db?.command({ explain: { find: name, filter } });
  return JSON.stringify(explained?.queryPlanner ?? explained);
}

/** FerretDB on SQLite: the plan SQLite makes for the UPDATE FerretDB issues for a `{_id}` replace. */
function sqliteUpdatePlan(database: string, name: string): string {
  const file = path.join(stackLayout().root, 'ferretdb', 'data', `${database}.sqlite`);
  if (!fs.existsSync(file)) {
    throw new Error(`no SQLite file ${file}: run against the local stack (npm run stack), or set STACK_DIR to its directory`);
  }
  const sql = (query: string) => {
    const result = spawnSync('sqlite3', ['-readonly', file, query], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`sqlite3 failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  const table = sql(`SELECT table_name FROM _ferretdb_collections WHERE name = '${name}'`);
  return sql(`EXPLAIN QUERY PLAN UPDATE "${table}" SET _ferretdb_sjson = '{}' WHERE _ferretdb_sjson->"_id" = '"sub-7"'`);
}

/** MongoDB: the plan of a `{_id}` replace. */
async function mongoUpdatePlan(connection: Connection, name: string): Promise<string> {
  const explained = await connection.db?.command({ explain: { update: name, updates: [{ q: { _id: 'sub-7' }, u: { n: 0, pad } }] } });
  return JSON.stringify(explained?.queryPlanner ?? explained);
}

/** The plans of the hot path's three statements: an exact-`{_id}` find, a slice's `{_id: {$in}}` find, a `{_id}` replace. */
async function hotPathPlans(connection: Connection, database: string, name: string, server: StoreServer) {
  return {
    find: await findPlan(connection, name),
    // A slice's read: one statement for all its subscriptions (patch 0002 on FerretDB).
    findIn: await findPlan(connection, name, { _id: { $in: ['sub-7', 'sub-9', 'nope'] } }),
    replace: server === 'ferretdb' ? sqliteUpdatePlan(database, name) : await mongoUpdatePlan(connection, name),
  };
}

/** What a plan that uses the `_id` index looks like on each server. */
const USES_ID_INDEX: Readonly<Record<StoreServer, RegExp>> = {
  ferretdb: /SEARCH \S+ USING INDEX \S+__id_/,
  mongodb: /IDHACK|EXPRESS_IXSCAN|IXSCAN/,
};

async function timeMs(times: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < times; i++) await work(i);
  return Number(process.hrtime.bigint() - started) / 1e6 / times;
}

/**
 * The store's hot path is an exact-`{_id}` read or replace, and a slice's `{_id: {$in}}` read. On MongoDB the `_id` index always serves it; on FerretDB
 * 1.24 (SQLite) it does only with our patch (tools/stack/ferretdb/patches). Asserted on the plan, whatever the size; the
 * timings at 1,000 and 100,000 documents are written to test-output/ as figures, not asserted.
 */
describe('exact-{_id} reads and replaces use an index', () => {
  let connection: Connection;
  let database: string;
  beforeAll(async () => {
    database = uniqueName('idx').slice(0, 30);
    connection = await mongoose.createConnection(withDatabase(stackConnection().MONGODB_URI, database)).asPromise();
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('on 1,000 and on 100,000 documents', async () => {
    const server = await detectServer(connection);
    const index = expect.stringMatching(USES_ID_INDEX[server]);
    const figures: Record<string, number> = {};
    for (const count of [1_000, 100_000]) {
      const name = `docs${count}`;
      await fill(connection, name, count);
      expect(await hotPathPlans(connection, database, name, server)).toEqual({ find: index, findIn: index, replace: index });
      const collection = connection.collection<Doc>(name);
      figures[`findOne_ms_${count}`] = await timeMs(200, (i) => collection.findOne({ _id: `sub-${(i * 37) % count}` }));
      figures[`replaceOne_ms_${count}`] = await timeMs(200, (i) =>
        collection.replaceOne({ _id: `sub-${(i * 37) % count}` }, { n: -i, pad }),
      );
    }
    fs.mkdirSync('test-output', { recursive: true });
    fs.writeFileSync(path.join('test-output', 'store-id-index.json'), `${JSON.stringify({ server, ...figures }, null, 2)}\n`);
  }, 600_000);
});
