import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';

import { stackLayout } from '../../tools/stack/layout';
import { classpath, log4jConfig } from '../../tools/stack/kafka.service';
import { freePort } from './free-port';
import { makeCertificates, type Certificates } from './tls-servers';

/** A second, throwaway broker that speaks only SASL_SSL (SCRAM-SHA-512) to clients, on the stack's Kafka jars. */
export interface SecureKafka {
  readonly brokers: string;
  readonly caFile: string;
  readonly username: string;
  readonly password: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/** The broker's keystore: the server certificate of a throwaway CA (tls-servers.ts), in PKCS12 as the broker reads it. */
function makeKeystore(dir: string, storePassword: string): Certificates {
  const certificates = makeCertificates();
  execFileSync(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      certificates.serverCertFile,
      '-inkey',
      certificates.serverKeyFile,
      '-certfile',
      certificates.caFile,
      '-name',
      'broker',
      '-passout',
      `pass:${storePassword}`,
      '-out',
      path.join(dir, 'broker.p12'),
    ],
    { stdio: 'pipe' },
  );
  return certificates;
}

export async function startSecureKafka(): Promise<SecureKafka> {
  const layout = stackLayout();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-sasl-kafka-'));
  const [internal, external, controller] = [await freePort(), await freePort(), await freePort()];
  const storePassword = randomBytes(12).toString('hex');
  const username = 'billing-enforcer';
  const password = `scram-${randomBytes(12).toString('hex')}`;
  const certificates = makeKeystore(dir, storePassword);
  const config = path.join(dir, 'server.properties');
  fs.writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      // Brokers talk among themselves in plain text on loopback; clients get SASL_SSL only.
      `listeners=PLAINTEXT://127.0.0.1:${internal},SASL_SSL://127.0.0.1:${external},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${internal},SASL_SSL://127.0.0.1:${external}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `ssl.keystore.location=${path.join(dir, 'broker.p12')}`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.password=${storePassword}`,
      `ssl.key.password=${storePassword}`,
      `log.dirs=${path.join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      '',
    ].join('\n'),
  );
  const java = ['-cp', classpath(layout), `-Dlog4j2.configurationFile=${log4jConfig}`, `-Dkafka.logs.dir=${dir}`];
  // The SCRAM user exists from the start: written into the metadata log when the storage is formatted.
  execFileSync(
    'java',
    [
      ...java,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      randomBytes(16).toString('base64url'),
      '-c',
      config,
      '--add-scram',
      `SCRAM-SHA-512=[name=${username},password=${password}]`,
    ],
    { stdio: 'pipe' },
  );
  const log = fs.openSync(path.join(dir, 'broker.log'), 'a');
  const child: ChildProcess = spawn('java', ['-Xms256m', '-Xmx512m', ...java, 'kafka.Kafka', config], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { caFile } = certificates;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(certificates.dir, { recursive: true, force: true });
  };

  const brokers = `127.0.0.1:${external}`;
  const probe = new Kafka({
    clientId: 'secure-kafka-probe',
    brokers: [brokers],
    ssl: { ca: [fs.readFileSync(caFile, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2_000,
  });
  const deadline = Date.now() + 150_000;
  for (;;) {
    const admin = probe.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.controller !== null) break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const tail = fs.readFileSync(path.join(dir, 'broker.log'), 'utf8').split('\n').slice(-20).join('\n');
        await stop();
        throw new Error(`the SASL_SSL broker did not come up: ${String(error)}\n${tail}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await admin.disconnect();
    }
  }
  return { brokers, caFile, username, password, dir, stop };
}
