import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';

import { fixRequestQueueTimer } from '../../src/kafka/request-queue-timer';
import type { StackLayout, StackPorts } from './layout';
import { onPath, runToLog, StackError } from './processes';
import type { ServiceDefinition } from './service';

const pom = path.join(__dirname, 'kafka', 'pom.xml');
/** The broker's log4j2 configuration; also used by test/support/secure-kafka.ts's second broker. */
export const log4jConfig = path.join(__dirname, 'kafka', 'log4j2.properties');

function kafkaDir(layout: StackLayout): string {
  return path.join(layout.root, 'kafka');
}

/** The provisioned Kafka jars: also used by test/support/secure-kafka.ts's second broker. */
export function classpath(layout: StackLayout): string {
  return `${path.join(kafkaDir(layout), 'libs')}/*`;
}

function serverProperties(layout: StackLayout, ports: StackPorts): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${ports.kafkaController}`,
    `listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.kafkaController}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${path.join(kafkaDir(layout), 'data')}`,
    // A single node: internal topics cannot have more than one replica.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=4',
    // Topics are created by the worker (and the tests) with their intended partition counts.
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

/**
 * A base64url 16-byte id, the format `kafka-storage random-uuid` prints. Like Kafka's `Uuid.randomUuid()`, never one
 * that starts with `-`: the storage tool's argument parser would take it for an option (one format in 64 failed so).
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Apache Kafka 4.x, one KRaft node (broker + controller), from the Maven Central jars resolved by ./kafka/pom.xml. */
export const kafkaService: ServiceDefinition = {
  name: 'kafka',
  marker: 'kafka.Kafka',
  port: (ports) => ports.kafka,
  startTimeoutMs: 90_000,
  provision(layout, ports) {
    if (!onPath('java'))
      throw new StackError('java is not on PATH; Kafka needs Java 17 or newer (apt-get install openjdk-17-jre-headless)');
    const dir = kafkaDir(layout);
    const libs = path.join(dir, 'libs');
    const stamp = path.join(libs, '.pom');
    const pomText = fs.readFileSync(pom, 'utf8');
    if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== pomText) {
      if (!onPath('mvn'))
        throw new StackError('mvn is not on PATH; the Kafka jars are resolved from Maven Central with Maven (apt-get install maven)');
      fs.rmSync(libs, { recursive: true, force: true });
      runToLog(
        'mvn',
        ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
        path.join(layout.logs, 'kafka-provision.log'),
      );
      fs.writeFileSync(stamp, pomText);
    }
    const config = path.join(dir, 'server.properties');
    fs.writeFileSync(config, serverProperties(layout, ports));
    if (!fs.existsSync(path.join(dir, 'data', 'meta.properties'))) {
      runToLog(
        'java',
        [
          '-cp',
          classpath(layout),
          `-Dlog4j2.configurationFile=${log4jConfig}`,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          newClusterId(),
          '-c',
          config,
        ],
        path.join(layout.logs, 'kafka-provision.log'),
      );
    }
  },
  command: (layout) => ({
    command: 'java',
    args: [
      '-Xms512m',
      '-Xmx1g',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4jConfig}`,
      `-Dkafka.logs.dir=${layout.logs}`,
      '-cp',
      classpath(layout),
      'kafka.Kafka',
      path.join(kafkaDir(layout), 'server.properties'),
    ],
  }),
  async probe(ports) {
    fixRequestQueueTimer();
    const kafka = new Kafka({
      clientId: 'stack-probe',
      brokers: [`127.0.0.1:${ports.kafka}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 1_000,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.controller === null || cluster.brokers.length === 0) throw new Error('no active controller yet');
      await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  },
};
