import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import mongoose, { type Connection } from 'mongoose';

import { stackLayout } from '../../tools/stack/layout';
import { detectServer } from '../../src/storage/store-dialect';
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

/** FerretDB on SQLite only: the plan SQLite makes for the UPDATE FerretDB issues for a `{_id}` replace. */
function sqliteUpdatePlan(database: string, name: string): string | undefined {
  const file = path.join(stackLayout().root, 'ferretdb', 'data', `${database}.sqlite`);
  if (!fs.existsSync(file)) return undefined;
  const sql = (query: string) => {
    const result = spawnSync('sqlite3', ['-readonly', file, query], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`sqlite3 failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  const table = sql(`SELECT table_name FROM _ferretdb_collections WHERE name = '${name}'`);
  return sql(`EXPLAIN QUERY PLAN UPDATE "${table}" SET _ferretdb_sjson = '{}' WHERE _ferretdb_sjson->"_id" = '"sub-7"'`);
}

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
    const ferret = (await detectServer(connection)) === 'ferretdb';
    const figures: Record<string, number> = {};
    for (const count of [1_000, 100_000]) {
      const name = `docs${count}`;
      await fill(connection, name, count);
      const plan = await findPlan(connection, name);
      if (ferret) {
        expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
        // A slice's read: `{_id: {$in}}` (patch 0002), one statement for all its subscriptions.
        expect(await findPlan(connection, name, { _id: { $in: ['sub-7', 'sub-9', 'nope'] } })).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
        const update = sqliteUpdatePlan(database, name);
        if (update !== undefined) expect(update).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
      } else {
        expect(plan).toMatch(/IDHACK|EXPRESS_IXSCAN|IXSCAN/);
      }
      const collection = connection.collection<Doc>(name);
      figures[`findOne_ms_${count}`] = await timeMs(200, (i) => collection.findOne({ _id: `sub-${(i * 37) % count}` }));
      figures[`replaceOne_ms_${count}`] = await timeMs(200, (i) =>
        collection.replaceOne({ _id: `sub-${(i * 37) % count}` }, { n: -i, pad }),
      );
    }
    fs.mkdirSync('test-output', { recursive: true });
    fs.writeFileSync(path.join('test-output', 'store-id-index.json'), `${JSON.stringify({ ferretdb: ferret, ...figures }, null, 2)}\n`);
  }, 600_000);
});
