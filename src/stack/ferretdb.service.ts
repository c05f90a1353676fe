import fs from 'node:fs';
import path from 'node:path';

import mongoose from 'mongoose';

import { onPath, runToLog, StackError } from './processes';
import type { ServiceDefinition } from './service';

const moduleDir = path.join(__dirname, 'ferretdb');

function binary(root: string): string {
  return path.join(root, 'bin', 'ferretdb-local');
}

/** The sources the binary is built from; a change to any of them rebuilds it. */
function sourceStamp(): string {
  return ['go.mod', 'go.sum', 'main.go'].map((file) => fs.readFileSync(path.join(moduleDir, file), 'utf8')).join('\0');
}

/** FerretDB v1 (pinned in ./ferretdb/go.mod) on SQLite: a MongoDB-wire server built from the Go module proxy by ./ferretdb/main.go. */
export const ferretdbService: ServiceDefinition = {
  name: 'ferretdb',
  marker: 'ferretdb-local',
  port: (ports) => ports.mongo,
  startTimeoutMs: 30_000,
  provision(layout) {
    fs.mkdirSync(path.join(layout.root, 'ferretdb', 'data'), { recursive: true });
    const stampFile = `${binary(layout.root)}.stamp`;
    const stamp = sourceStamp();
    if (fs.existsSync(binary(layout.root)) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return;
    if (!onPath('go'))
      throw new StackError(
        'go is not on PATH; FerretDB is built with the Go toolchain (https://go.dev/doc/install or apt-get install golang)',
      );
    runToLog('go', ['build', '-o', binary(layout.root), '.'], path.join(layout.logs, 'ferretdb-build.log'), {
      cwd: moduleDir,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    fs.writeFileSync(stampFile, stamp);
  },
  command: (layout, ports) => ({
    command: binary(layout.root),
    args: [
      // Immediate transactions: with SQLite's default deferred ones, concurrent writers to one database can deadlock
      // on the read-to-write lock upgrade, and FerretDB 1.24 then hangs every later write to that database.
      `--sqlite-url=file:${path.join(layout.root, 'ferretdb', 'data')}/?_txlock=immediate`,
      `--listen-addr=127.0.0.1:${ports.mongo}`,
    ],
  }),
  async probe(ports) {
    const connection = mongoose.createConnection(`mongodb://127.0.0.1:${ports.mongo}/admin`, {
      serverSelectionTimeoutMS: 1_000,
      directConnection: true,
    });
    try {
      await connection.asPromise();
      await connection.db?.admin().ping();
    } finally {
      await connection.close();
    }
  },
};
