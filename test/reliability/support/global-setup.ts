import { Kafka, logLevel } from 'kafkajs';

import { stackUp } from '../../../src/stack/stack';
import { reliabilityStack } from './reliability-stack';

/** Starts the reliability suite's own stack and waits until Kafka can coordinate consumer groups. */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const stack = reliabilityStack();
  await stackUp(stack);
  const kafka = new Kafka({ clientId: 'reliability-setup', brokers: [stack.connection.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Creates __consumer_offsets on a fresh broker, so the first group join does not race it.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.describeGroups(['reliability-setup']);
        break;
      } catch (error) {
        if (attempt > 60) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
  process.stderr.write(`\nreliability stack: ${stack.layout.root} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
