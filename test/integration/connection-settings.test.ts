import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';

import { loadSettings } from '../../src/config/config';
import { REDIS_SETTINGS } from '../../src/config/redis-settings';
import { isAppError, type AppError } from '../../src/errors';
import { checkRedis, connectRedis, redisConnection } from '../../src/queue/redis';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { connectMongo } from '../../src/storage/mongo';
import { newIds, paymentOverdue } from '../support/events';
import { stackConnection } from '../support/stack-env';
import { makeCertificates, startTlsProxy, startTlsRedis, type Certificates, type Server } from '../support/tls-servers';
import { uniqueName } from '../support/unique-name';
import { eventually, startWorker, withDatabase } from '../support/worker-harness';

// Connection settings as operators copy them in: each works, or stops the start naming the setting (issue 20, item 5).
const repo = path.resolve(__dirname, '..', '..');

async function failure(attempt: Promise<unknown>): Promise<AppError> {
  try {
    await attempt;
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal, but it connected');
}

/** The operator CLI in a child process, with exactly `env`. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

describe('Redis over TLS (rediss://) with a private CA', () => {
  let certificates: Certificates;
  let redis: Server;
  let mutual: Server;

  beforeAll(async () => {
    certificates = makeCertificates();
    redis = await startTlsRedis(certificates, false);
    // Asks every client for a certificate the CA signed (tls-auth-clients yes).
    mutual = await startTlsRedis(certificates, true);
  });
  afterAll(async () => {
    await Promise.all([redis.stop(), mutual.stop()]);
    fs.rmSync(certificates.dir, { recursive: true, force: true });
  });

  const settings = (env: Record<string, string>) => loadSettings(REDIS_SETTINGS, env);

  it('runs the worker on a TLS-only Redis: the queue, the timer worker and the leases all connect over TLS; so does the CLI', async () => {
    const h = await startWorker({ REDIS_URL: `rediss://127.0.0.1:${redis.port}/1`, REDIS_TLS_CA_FILE: certificates.caFile });
    try {
      const ids = newIds('tls');
      await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-tls')]);
      await eventually(async () =>
        expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1)))?.getState()).toBe('delayed'),
      );

      // The server has no plain port: whatever is connected came over TLS, and to database 1.
      const admin = new Redis({ host: '127.0.0.1', port: redis.port, tls: { ca: [fs.readFileSync(certificates.caFile)] } });
      const clients = (await admin.client('LIST')) as string;
      admin.disconnect();
      const ours = clients.split('\n').filter((line) => / name=billing-enforcer-/.test(line));
      expect(ours.map((line) => /name=(\S+)/.exec(line)?.[1]).sort()).toEqual(
        expect.arrayContaining(['billing-enforcer-leases', 'billing-enforcer-queue', 'billing-enforcer-worker']),
      );
      for (const line of ours) expect(line).toMatch(/ db=1 /);

      const env = {
        MONGODB_URI: h.app.config.MONGODB_URI,
        REDIS_URL: h.app.config.REDIS_URL,
        QUEUE_PREFIX: h.app.config.QUEUE_PREFIX,
        TIMER_QUEUE: h.app.config.TIMER_QUEUE,
      };
      const status = await cli(['status', ids.subscriptionId], { ...env, REDIS_TLS_CA_FILE: certificates.caFile });
      expect(status).toMatchObject({ code: 0, output: expect.stringContaining(deletionJobId(ids.subscriptionId, 1)) });
      expect(status.output).toMatch(/deletion\s+\S+\s+delayed/);
      // Without the CA the CLI refuses as the worker does: exit 78, the setting named.
      const refused = await cli(['status', ids.subscriptionId], env);
      expect(refused.code).toBe(78);
      expect(refused.output).toContain('REDIS_TLS_CA_FILE: Redis at rediss://127.0.0.1');
    } finally {
      await h.stop();
    }
  });

  it('stops the worker at start-up, naming REDIS_TLS_CA_FILE, when no trusted CA signed the certificate', async () => {
    const database = withDatabase(stackConnection().MONGODB_URI, uniqueName('refused').slice(0, 40));
    const refused = await failure(startWorker({ MONGODB_URI: database, REDIS_URL: `rediss://127.0.0.1:${redis.port}` }));
    // Before, the lease connection's first command failed as "server unavailable" (exit 69), the reason in a log line.
    expect(refused).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(refused.message).toMatch(/^REDIS_TLS_CA_FILE: .*\(SELF_SIGNED_CERT_IN_CHAIN\): set REDIS_TLS_CA_FILE/);
    const leftover = await connectMongo(database);
    await leftover.dropDatabase();
    await leftover.close();
  });

  it('sends a client certificate to a Redis that asks for one, and names the settings when there is none', async () => {
    const url = `rediss://localhost:${mutual.port}/2`;
    const withoutCertificate = await failure(
      checkRedis(redisConnection(settings({ REDIS_URL: url, REDIS_TLS_CA_FILE: certificates.caFile }))),
    );
    expect(withoutCertificate.message).toMatch(/^REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE: /);
    const connection = redisConnection(
      settings({
        REDIS_URL: url,
        REDIS_TLS_CA_FILE: certificates.caFile,
        REDIS_TLS_CERT_FILE: certificates.clientCertFile,
        REDIS_TLS_KEY_FILE: certificates.clientKeyFile,
      }),
    );
    await checkRedis(connection);
    const client = connectRedis(connection, 'billing-enforcer-test');
    try {
      await client.set('connection-settings', 'over mutual TLS');
      expect(await client.get('connection-settings')).toBe('over mutual TLS');
    } finally {
      client.disconnect();
    }
  });

  it('refuses a database the server lacks, which ioredis would replace by database 0', async () => {
    const refused = await failure(
      checkRedis(redisConnection(settings({ REDIS_URL: `rediss://127.0.0.1:${redis.port}/16`, REDIS_TLS_CA_FILE: certificates.caFile }))),
    );
    expect(refused).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('has no database 16') });
  });

  it('answers a plain client on the TLS port as an outage (nothing answers it), with a hint at rediss://', async () => {
    const refused = await failure(checkRedis(redisConnection(settings({ REDIS_URL: `redis://127.0.0.1:${redis.port}` }))));
    expect(refused).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      message: expect.stringContaining('(if that port speaks TLS, use rediss://)'),
    });
  });
});

describe('MONGODB_URI options against FerretDB', () => {
  const uri = (query: string, database = uniqueName('conn').slice(0, 40)) =>
    `${withDatabase(stackConnection().MONGODB_URI, database)}?${query}`;
  const connect = (text: string) => connectMongo(loadSettings(['MONGODB_URI'], { MONGODB_URI: text }).MONGODB_URI);

  it('runs the worker with compressors=zstd,snappy,zlib; FerretDB agrees to none, so the driver sends uncompressed', async () => {
    const h = await startWorker({ MONGODB_URI: uri('compressors=zstd,snappy,zlib&zlibCompressionLevel=6') });
    try {
      expect(h.app.connection.getClient().options.compressors).toEqual(['zstd', 'snappy', 'zlib']);
      const ids = newIds('compressed');
      await h.produce(h.topics.payments, [paymentOverdue(ids, 'inv-z')]);
      await eventually(async () => expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.status).toBe('suspended'));
      // A server that supports compression lists the ones it accepts in its hello reply; FerretDB 1.24 lists none, and
      // the driver then compresses nothing (MongoDB's handshake rule): the setting is harmless there, and works on MongoDB.
      const hello = await h.app.connection.db?.admin().command({ hello: 1, compression: ['zstd', 'snappy', 'zlib'] });
      expect(hello?.compression).toBeUndefined();
    } finally {
      await h.stop();
    }
  });

  it('connects with tls=true and tlsCAFile to a TLS server, and names tlsCAFile when the certificate is not trusted', async () => {
    const certificates = makeCertificates();
    const port = Number(new URL(stackConnection().MONGODB_URI).port);
    const proxy = await startTlsProxy(certificates, port);
    const database = uniqueName('tls').slice(0, 40);
    const address = `mongodb://127.0.0.1:${proxy.port}/${database}`;
    try {
      const connection = await connect(`${address}?tls=true&tlsCAFile=${certificates.caFile}`);
      await connection.db?.collection('probe').insertOne({ over: 'tls' });
      expect(await connection.db?.collection('probe').findOne({}, { projection: { _id: 0 } })).toEqual({ over: 'tls' });
      await connection.db?.dropDatabase();
      await connection.close();

      const untrusted = await failure(connect(`${address}?tls=true&serverSelectionTimeoutMS=2000`));
      expect(untrusted).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('add tlsCAFile=/path/to/ca.pem') });
      // TLS to a server without it: the server hangs up, which is an outage as far as the worker can tell (exit 69).
      const plain = await failure(connect(uri('tls=true&serverSelectionTimeoutMS=1000')));
      expect(plain.code).toBe('DEPENDENCY_UNAVAILABLE');
    } finally {
      await proxy.stop();
      fs.rmSync(certificates.dir, { recursive: true, force: true });
    }
  });

  it("refuses a replicaSet that is not the server's, and credentials it refuses, at the first connection", async () => {
    // FerretDB is a standalone server: the driver drops it from a replica-set topology and waits for a primary.
    const replicaSet = await failure(connect(uri('replicaSet=rs0&serverSelectionTimeoutMS=1000')));
    expect(replicaSet).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('replicaSet names a set no server') });
    // FerretDB 1.24 without authentication refuses every SCRAM mechanism, as a server refuses a wrong password.
    const withCredentials = withDatabase(stackConnection().MONGODB_URI, 'db').replace('//', '//billing:s3cret-pw@');
    const refused = await failure(connect(`${withCredentials}?authSource=admin`));
    expect(refused).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^MONGODB_URI: the server refused to authenticate/),
    });
    expect(refused.message).not.toContain('s3cret-pw');
  });
});
