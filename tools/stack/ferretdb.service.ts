import fs from 'node:fs';
import path from 'node:path';

import mongoose from 'mongoose';

import { onPath, runToLog, StackError } from './processes';
import type { ServiceDefinition } from './service';

const moduleDir = path.join(__dirname, 'ferretdb');

function binary(root: string): string {
  return path.join(root, 'bin', 'ferretdb-local');
}

const patchDir = path.join(moduleDir, 'patches');
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

function patches(): string[] {
  return fs
    .readdirSync(patchDir)
    .filter((name) => name.endsWith('.patch'))
    .sort()
    .map((name) => path.join(patchDir, name));
}

/** The sources the binary is built from; a change to any of them (patches included) rebuilds it. */
function sourceStamp(): string {
  return [...['go.mod', 'go.sum', 'main.go'].map((file) => path.join(moduleDir, file)), ...patches()]
    .map((file) => fs.readFileSync(file, 'utf8'))
    .join('\0');
}

/** The FerretDB version go.mod pins. */
function pinnedVersion(): string {
  const match = /^require github\.com\/FerretDB\/FerretDB (v\S+)$/m.exec(fs.readFileSync(path.join(moduleDir, 'go.mod'), 'utf8'));
  if (match?.[1] === undefined) throw new StackError(`no FerretDB version pinned in ${path.join(moduleDir, 'go.mod')}`);
  return match[1];
}

/**
 * Builds main.go against FerretDB as the Go module proxy serves it, with our patches (./ferretdb/patches) applied to a
 * copy of its source: a `replace` in a build-only go.mod points at the copy, so the pinned go.mod and go.sum stay as they are.
 */
function buildPatched(root: string, logFile: string): void {
  const env = { ...process.env, CGO_ENABLED: '0' };
  const buildDir = path.join(root, 'ferretdb', 'build');
  const sourceDir = path.join(buildDir, 'ferretdb-src');
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.mkdirSync(buildDir, { recursive: true });
  const download = path.join(buildDir, 'download.json');
  runToLog('sh', ['-c', `go mod download -json ${FERRETDB_MODULE}@${pinnedVersion()} > ${JSON.stringify(download)}`], logFile, {
    cwd: moduleDir,
    env,
  });
  const { Dir: moduleSource } = JSON.parse(fs.readFileSync(download, 'utf8')) as { Dir?: string };
  if (moduleSource === undefined) throw new StackError(`go mod download gave no source directory; see ${logFile}`);
  // The module cache is read-only: copy it, make it writable, patch it.
  fs.cpSync(moduleSource, sourceDir, { recursive: true });
  runToLog('chmod', ['-R', 'u+w', sourceDir], logFile);
  for (const patch of patches()) runToLog('patch', ['-p1', '--forward', '--batch', '-i', patch], logFile, { cwd: sourceDir });
  for (const file of ['go.mod', 'go.sum', 'main.go']) fs.copyFileSync(path.join(moduleDir, file), path.join(buildDir, file));
  fs.appendFileSync(path.join(buildDir, 'go.mod'), `\nreplace ${FERRETDB_MODULE} => ./ferretdb-src\n`);
  runToLog('go', ['build', '-o', binary(root), '.'], logFile, { cwd: buildDir, env });
}

/**
 * FerretDB v1 (pinned in ./ferretdb/go.mod) on SQLite: a MongoDB-wire server built from the Go module proxy by
 * ./ferretdb/main.go, with ./ferretdb/patches applied (each patch says what it fixes).
 */

/** `&_pragma=synchronous(NORMAL)` when STACK_SQLITE_SYNCHRONOUS asks for it; anything but FULL or NORMAL is refused. */
function sqliteSynchronous(): string {
  const mode = process.env.STACK_SQLITE_SYNCHRONOUS ?? 'FULL';
  if (mode !== 'FULL' && mode !== 'NORMAL') throw new Error(`STACK_SQLITE_SYNCHRONOUS: FULL or NORMAL, not ${JSON.stringify(mode)}`);
  return mode === 'FULL' ? '' : `&_pragma=synchronous(${mode})`;
}

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
    buildPatched(layout.root, path.join(layout.logs, 'ferretdb-build.log'));
    fs.writeFileSync(stampFile, stamp);
  },
  command: (layout, ports) => ({
    command: binary(layout.root),
    args: [
      // Immediate transactions: with SQLite's default deferred ones, concurrent writers to one database can deadlock
      // on the read-to-write lock upgrade, and FerretDB 1.24 then hangs every later write to that database.
      // STACK_SQLITE_SYNCHRONOUS=NORMAL (benchmarks only) stops SQLite syncing its log on every statement, as MongoDB's
      // journal does not for w:1 writes (it flushes every 100 ms); the default, FULL, is SQLite's own.
      `--sqlite-url=file:${path.join(layout.root, 'ferretdb', 'data')}/?_txlock=immediate${sqliteSynchronous()}`,
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
