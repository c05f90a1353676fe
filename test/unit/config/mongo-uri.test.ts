import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadConfig } from '../../../src/config/config';
import { mongoClientOptions, mongoUriProblems, type PackageLoader } from '../../../src/config/mongo-uri';
import { isAppError } from '../../../src/errors';

const base = { KAFKA_BROKERS: 'kafka:9092', REDIS_URL: 'redis://redis:6379' };

function configError(uri: string): string {
  try {
    loadConfig({ ...base, MONGODB_URI: uri });
  } catch (error) {
    if (isAppError(error)) return error.message;
  }
  return 'no error';
}

/** A loader on which `missing` packages are not installed and every other one loads, at `version`. */
function loaderWithout(missing: string[], version = '7.4.3'): PackageLoader {
  return (name) => {
    if (missing.some((pkg) => name === pkg || name.startsWith(`${pkg}/`)))
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    return name.endsWith('/package.json') ? { version } : {};
  };
}

describe('MONGODB_URI', () => {
  it.each([
    'mongodb://mongo:27017/billing-enforcer',
    'mongodb://mongo/billing-enforcer?compressors=zstd',
    'mongodb://mongo/billing-enforcer?compressors=zstd,snappy,zlib&zlibCompressionLevel=9',
    'mongodb://u:p%40ss@a:27017,b:27017/billing-enforcer?replicaSet=rs0&authSource=admin&tls=true',
    'mongodb://mongo/billing-enforcer?directConnection=true&readPreference=secondaryPreferred&w=majority',
    'mongodb+srv://billing:pw@cluster0.example.net/billing-enforcer?authSource=admin',
  ])('accepts %s', (uri) => {
    // snappy is an optional package: here as the image would have it.
    expect(mongoUriProblems(uri, loaderWithout([]))).toEqual([]);
  });

  it.each([
    ['mongodb://mongo:27017', 'names no database: add it to the path'],
    ['mongodb://mongo:27017/?tls=true', 'names no database'],
    ['postgres://h/db', 'must be a mongodb:// or mongodb+srv:// URI'],
    ['mongodb://mongo/db?compressors=lz4', 'the driver refuses it: lz4 is not a valid compression mechanism'],
    // The driver takes any integer, and zlib throws at the first compressed message.
    ['mongodb://mongo/db?compressors=zlib&zlibCompressionLevel=12', 'zlibCompressionLevel must be from -1 to 9'],
    ['mongodb://mongo/db?bogusOption=1', 'the driver refuses it: option bogusoption is not supported'],
    ['mongodb://mongo/db?readPreference=bogus', 'the driver refuses it: Invalid read preference mode'],
    ['mongodb://a,b/db?directConnection=true', 'the driver refuses it: directConnection option requires exactly one host'],
    ['mongodb+srv://cluster0.example.net/db?directConnection=true', 'the driver refuses it: SRV URI does not support directConnection'],
    ['mongodb+srv://cluster0.example.net:27017/db', 'the driver refuses it: mongodb+srv URI cannot have port number'],
    ['mongodb://mongo/db?authMechanism=GSSAPI', "the driver refuses it: Username required for mechanism 'GSSAPI'"],
  ])('refuses %s at start-up, as the driver would at the first connection or call', (uri, problem) => {
    expect(configError(uri)).toContain(`MONGODB_URI: ${problem}`);
  });

  it('never echoes the credentials, in its own words or the driver’s', () => {
    const message = configError('mongodb://billing:hunter2-secret@mongo/db?authMechanism=BOGUS&tlsCertificateKeyFilePassword=key-secret');
    expect(message).toContain('MONGODB_URI: the driver refuses it: authMechanism one of');
    expect(message).not.toMatch(/hunter2|key-secret|billing:/);
    expect(configError('mongodb://billing:hunter2-secret@mongo')).not.toContain('hunter2');
    expect(configError('mongodb://billing:50%hunter2@mongo/db')).toMatch(/MONGODB_URI: the driver refuses it: (?!.*hunter2)/);
  });

  it('refuses a compressor or mechanism whose optional package cannot load: the driver would fail every call', () => {
    const uri = (query: string) => `mongodb://u@mongo/db?${query}`;
    expect(mongoUriProblems(uri('compressors=snappy'), loaderWithout(['snappy']))).toEqual([
      'compressors=snappy needs the npm package snappy (7.x): not installed; add it to the image, or use compressors=zstd or zlib',
    ]);
    expect(mongoUriProblems(uri('compressors=snappy'), loaderWithout([], '6.3.5'))).toEqual([
      expect.stringContaining('compressors=snappy needs the npm package snappy (7.x): version 6.3.5 is installed'),
    ]);
    const broken: PackageLoader = () => {
      throw Object.assign(new Error('no native binding for this platform'), { code: 'ERR_DLOPEN_FAILED' });
    };
    expect(mongoUriProblems(uri('compressors=snappy'), broken)).toEqual([expect.stringContaining('cannot load (ERR_DLOPEN_FAILED)')]);
    // Node 24 has zstd built in; the driver uses it, no package needed.
    expect(mongoUriProblems(uri('compressors=zstd'), loaderWithout(['@mongodb-js/zstd']))).toEqual([]);
    expect(mongoUriProblems(uri('authMechanism=GSSAPI'), loaderWithout(['kerberos']))).toEqual([
      expect.stringContaining('authMechanism=GSSAPI needs the npm package kerberos'),
    ]);
    expect(mongoUriProblems('mongodb://mongo/db?authMechanism=MONGODB-AWS', loaderWithout(['@aws-sdk/credential-providers']))).toEqual([
      expect.stringContaining('authMechanism=MONGODB-AWS needs the npm package @aws-sdk/credential-providers'),
    ]);
    expect(mongoUriProblems('mongodb://mongo/db?proxyHost=proxy.example', loaderWithout(['socks']))).toEqual([
      expect.stringContaining('proxyHost needs the npm package socks'),
    ]);
  });

  it('refuses a TLS file the driver could not read when it connects', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-mongo-uri-'));
    const ca = path.join(dir, 'ca.pem');
    fs.writeFileSync(ca, 'CA PEM');
    expect(mongoUriProblems(`mongodb://mongo/db?tls=true&tlsCAFile=${ca}`)).toEqual([]);
    expect(mongoUriProblems(`mongodb://mongo/db?tls=true&tlsCAFile=${dir}/absent.pem&tlsCertificateKeyFile=${ca}`)).toEqual([
      `tlsCAFile: cannot read ${dir}/absent.pem (ENOENT)`,
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("applies the worker's pool size and server-selection timeout only where the URI sets none", () => {
    expect(mongoClientOptions('mongodb://mongo/db')).toEqual({ serverSelectionTimeoutMS: 5_000, maxPoolSize: 20 });
    expect(mongoClientOptions('mongodb://mongo/db?maxpoolsize=50&w=1')).toEqual({ serverSelectionTimeoutMS: 5_000 });
    expect(mongoClientOptions('mongodb://mongo/db?serverSelectionTimeoutMS=30000&maxPoolSize=5')).toEqual({});
  });
});
