import { Kafka, logLevel } from 'kafkajs';

import { fixRequestQueueTimer } from '../../src/kafka/request-queue-timer';
import { stackConnection } from './stack-env';
import { uniqueName } from './unique-name';

/** A kafkajs client for the test stack; create producers, consumers and admins from it and disconnect each one. */
export function testKafka(clientId = uniqueName('test-client')): Kafka {
  fixRequestQueueTimer();
  return new Kafka({ clientId, brokers: stackConnection().KAFKA_BROKERS.split(','), logLevel: logLevel.ERROR });
}

/** Creates the topics and waits for their leaders: the broker does not auto-create topics. */
export async function createTopics(kafka: Kafka, topics: readonly string[], numPartitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions })), waitForLeaders: true });
    if (!created) throw new Error(`topics already exist: ${topics.join(', ')}`);
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [...topics] });
  } finally {
    await admin.disconnect();
  }
}
