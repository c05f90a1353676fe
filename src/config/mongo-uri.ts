import fs from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

import mongoose from 'mongoose';

/** What connectMongo asks of the driver unless MONGODB_URI says otherwise (the URI's own value wins). */
const CLIENT_DEFAULTS = {
  // Fail fast while the server is away: the caller's retry loop owns waiting.
  serverSelectionTimeoutMS: 5_000,
  maxPoolSize: 20,
} as const;

function queryKeys(uri: string): Set<string> {
  const start = uri.indexOf('?');
  if (start === -1) return new Set();
  return new Set([...new URLSearchParams(uri.slice(start + 1)).keys()].map((key) => key.toLowerCase()));
}

/** The driver options connectMongo passes besides the URI: our defaults, less those the URI sets itself. */
export function mongoClientOptions(uri: string): Partial<typeof CLIENT_DEFAULTS> {
  const given = queryKeys(uri);
  return Object.fromEntries(Object.entries(CLIENT_DEFAULTS).filter(([key]) => !given.has(key.toLowerCase())));
}

/** Loads a package as the driver would; throws as `require` does. */
export type PackageLoader = (name: string) => unknown;

// From the driver's own folder (mongoose's copy of it), as the driver looks for its optional packages.
const fromDriver: PackageLoader = (name) => createRequire(createRequire(require.resolve('mongoose')).resolve('mongodb'))(name);

/**
 * Why an optional package cannot serve, or undefined: the driver only loads it when it first needs it, and then every
 * call fails.
 */
function loadFailure(load: PackageLoader, name: string, major?: number): string | undefined {
  try {
    load(name);
    if (major === undefined) return undefined;
    const { version } = load(`${name}/package.json`) as { version?: string };
    return version?.split('.')[0] === String(major) ? undefined : `version ${version ?? '?'} is installed, the driver needs ${major}.x`;
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    return code === 'MODULE_NOT_FOUND' ? 'not installed' : `cannot load (${code || 'error'})`;
  }
}

/** The npm package each optional driver feature needs, when it is in use. */
function optionalPackageProblems(options: Readonly<mongoose.mongo.MongoOptions>, load: PackageLoader): string[] {
  const problems: string[] = [];
  const need = (what: string, name: string, version: string, alternative: string, major?: number) => {
    const failure = loadFailure(load, name, major);
    if (failure !== undefined) problems.push(`${what} needs the npm package ${name} (${version}): ${failure}; ${alternative}`);
  };
  for (const compressor of options.compressors) {
    if (compressor === 'snappy') need('compressors=snappy', 'snappy', '7.x', 'add it to the image, or use compressors=zstd or zlib', 7);
    // Node has zstd built in since 22.15 (the driver uses it then); the package is for older Nodes.
    if (compressor === 'zstd' && typeof zlib.zstdCompress !== 'function')
      need('compressors=zstd', '@mongodb-js/zstd', '7.x', 'add it to the image, or use compressors=zlib');
  }
  const level: number = options.zlibCompressionLevel;
  if (!Number.isInteger(level) || level < -1 || level > 9)
    problems.push('zlibCompressionLevel must be from -1 to 9 (zlib refuses any other level when the driver first compresses)');
  const mechanism = options.credentials?.mechanism;
  if (mechanism === 'GSSAPI') need('authMechanism=GSSAPI', 'kerberos', '7.x', 'add it to the image, or use another mechanism');
  if (mechanism === 'MONGODB-AWS')
    need('authMechanism=MONGODB-AWS', '@aws-sdk/credential-providers', '3.x', 'add it to the image, or use another mechanism');
  if (options.proxyHost !== undefined) need('proxyHost', 'socks', '2.x', 'add it to the image, or connect without the SOCKS5 proxy');
  return problems;
}

/** The driver reads these when it first connects; a path it cannot read would fail every connection. */
function tlsFileProblems(options: Readonly<mongoose.mongo.MongoOptions>): string[] {
  return (['tlsCAFile', 'tlsCertificateKeyFile', 'tlsCRLFile'] as const).flatMap((option) => {
    const file = options[option];
    if (typeof file !== 'string') return [];
    try {
      fs.accessSync(file, fs.constants.R_OK);
      return [];
    } catch (error) {
      const reason = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
      return [`${option}: cannot read ${file} (${reason})`];
    }
  });
}

/** The driver's message, without the URI's credentials or any option value that may be a secret. */
function redacted(message: string, uri: string): string {
  const secrets = new Set<string>();
  const userinfo = /^[^:]+:\/\/([^@/]*)@/.exec(uri)?.[1];
  for (const part of userinfo?.split(':') ?? []) {
    secrets.add(part);
    try {
      secrets.add(decodeURIComponent(part));
    } catch {
      // A '%' that starts no escape: the driver refused it, and the part as written is already hidden.
    }
  }
  const query = uri.includes('?') ? new URLSearchParams(uri.slice(uri.indexOf('?') + 1)) : new URLSearchParams();
  for (const [key, value] of query) if (/password|secret|token|properties/i.test(key)) secrets.add(value);
  let text = message.split('\n')[0] ?? '';
  for (const secret of [...secrets].filter((value) => value.length > 0).sort((a, b) => b.length - a.length))
    text = text.replaceAll(secret, '[redacted]');
  return text;
}

/**
 * What would make MONGODB_URI fail after start-up rather than at it, as the driver reads it (with the options connectMongo
 * adds): options it refuses, a URI naming no database (the driver would quietly use `test`), a compressor or mechanism
 * whose optional package cannot load, a TLS file it cannot read. Never echoes a credential.
 */
export function mongoUriProblems(uri: string, load: PackageLoader = fromDriver): string[] {
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) return ['must be a mongodb:// or mongodb+srv:// URI'];
  let options: Readonly<mongoose.mongo.MongoOptions>;
  try {
    // Parses and validates only: the constructor neither connects nor resolves a +srv name.
    options = new mongoose.mongo.MongoClient(uri, mongoClientOptions(uri)).options;
  } catch (error) {
    return [`the driver refuses it: ${redacted(error instanceof Error ? error.message : String(error), uri)}`];
  }
  const problems: string[] = [];
  if (!/^mongodb(\+srv)?:\/\/[^/?]*\/[^/?]+/.test(uri))
    problems.push('names no database: add it to the path (mongodb://host:27017/billing-enforcer); the driver would use "test"');
  return [...problems, ...optionalPackageProblems(options, load), ...tlsFileProblems(options)];
}
