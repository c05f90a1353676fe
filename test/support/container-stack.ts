import { Kafka, logLevel } from 'kafkajs';
import type * as TestcontainersModule from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';

import { fixRequestQueueTimer } from '../../src/kafka/request-queue-timer';
import type { StackConnection } from '../../tools/stack/layout';
import { waitFor } from '../../tools/stack/processes';

type Testcontainers = typeof TestcontainersModule;

export interface StartedContainerStack {
  readonly connection: StackConnection;
  readonly stop: () => Promise<void>;
}

/**
 * Loads testcontainers and asks it for a container runtime. Resolves to the module when one answers, or to the
 * reason there is none: no engine, or testcontainers itself failing to load (v12 pulls in undici 8, which needs Node 22.19+).
 */
export async function findContainerRuntime(timeoutMs = 10_000): Promise<{ testcontainers: Testcontainers } | { reason: string }> {
  let testcontainers: Testcontainers;
  try {
    testcontainers = await import('testcontainers');
  } catch (error) {
    return { reason: `testcontainers does not load on Node ${process.versions.node}: ${firstLine(error)}` };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs).unref();
  });
  try {
    await Promise.race([testcontainers.getContainerRuntimeClient(), timeout]);
    return { testcontainers };
  } catch (error) {
    return { reason: firstLine(error) };
  } finally {
    clearTimeout(timer);
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

const kafkaStarter = '/tmp/start-kafka.sh';
const waitingForStarter = 'waiting for the start script';

async function startMongo({ GenericContainer, Wait }: Testcontainers): Promise<StartedTestContainer> {
  const container = await new GenericContainer('mongo:7')
    .withExposedPorts(27017)
    .withCommand(['--replSet', 'rs0', '--bind_ip_all'])
    .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
    .start();
  // A one-member replica set whose member name is valid inside the container; clients use directConnection.
  const initiate = await container.exec([
    'mongosh',
    '--quiet',
    '--eval',
    "rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'localhost:27017' }] }); let n = 0; while (!db.hello().isWritablePrimary && n++ < 600) sleep(100); quit(db.hello().isWritablePrimary ? 0 : 1);",
  ]);
  if (initiate.exitCode !== 0) {
    await container.stop();
    throw new Error(`mongo:7 replica set did not initiate (exit ${initiate.exitCode}): ${initiate.output}`);
  }
  return container;
}

/**
 * apache/kafka must advertise the host port Docker maps, known only once the container runs: the container waits
 * for a start script, which is copied in with the mapped port (the trick testcontainers' own Kafka module uses).
 */
async function startKafka({ GenericContainer, Wait }: Testcontainers): Promise<StartedTestContainer> {
  const container = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts(9092)
    .withEnvironment({
      // 16 bytes, base64url: the format `kafka-storage random-uuid` prints.
      CLUSTER_ID: Buffer.from('billing-enforcer').toString('base64url'),
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withEntrypoint(['sh', '-c'])
    .withCommand([`echo '${waitingForStarter}'; while [ ! -f ${kafkaStarter} ]; do sleep 0.1; done; exec ${kafkaStarter}`])
    .withWaitStrategy(Wait.forLogMessage(waitingForStarter))
    .start();
  const brokers = `${container.getHost()}:${container.getMappedPort(9092)}`;
  const script = `#!/bin/sh\nexport KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${brokers},BROKER://localhost:9094\nexec /etc/kafka/docker/run\n`;
  try {
    await container.copyContentToContainer([{ content: script, target: kafkaStarter, mode: 0o755 }]);
    await waitFor(
      'kafka container',
      () => probeKafka(brokers),
      120_000,
      () => true,
    );
  } catch (error) {
    await container.stop();
    throw error;
  }
  return container;
}

async function probeKafka(brokers: string): Promise<void> {
  fixRequestQueueTimer();
  const admin = new Kafka({ clientId: 'test-stack-probe', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

async function startRedis({ GenericContainer, Wait }: Testcontainers): Promise<StartedTestContainer> {
  return await new GenericContainer('redis:7')
    .withExposedPorts(6379)
    .withCommand(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'])
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
}

/** MongoDB 7 (one-member replica set), Kafka 4.1 (KRaft) and Redis 7 in containers; stops whatever started if one fails. */
export async function startContainerStack(testcontainers: Testcontainers): Promise<StartedContainerStack> {
  const results = await Promise.allSettled([startMongo(testcontainers), startKafka(testcontainers), startRedis(testcontainers)]);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((container) => container.stop()));
  };
  const [mongo, kafka, redis] = results;
  if (mongo.status !== 'fulfilled' || kafka.status !== 'fulfilled' || redis.status !== 'fulfilled') {
    await stop();
    const reasons = results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
    throw new Error(`container stack did not start: ${reasons.join('; ')}`);
  }
  return {
    connection: {
      KAFKA_BROKERS: `${kafka.value.getHost()}:${kafka.value.getMappedPort(9092)}`,
      MONGODB_URI: `mongodb://${mongo.value.getHost()}:${mongo.value.getMappedPort(27017)}/billing-enforcer?directConnection=true`,
      REDIS_URL: `redis://${redis.value.getHost()}:${redis.value.getMappedPort(6379)}`,
    },
    stop,
  };
}
