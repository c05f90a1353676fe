import fs from 'node:fs';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';

import { stackDown, stackUp } from '../../../tools/stack/stack';
import { reliabilityStack } from './reliability-stack';
import { figuresFile } from './scenario';
import { suiteStarted } from './suite-clock';

/**
 * Starts the reliability suite's own stack from empty data directories and waits until Kafka can coordinate consumer
 * groups. Scenarios use fresh names anyway; what an earlier run left (a FerretDB database it broke, which then refuses
 * to start, or thousands of old partitions) must not decide this one. Servers an interrupted run left are stopped first.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  suiteStarted(started);
  fs.rmSync(figuresFile, { force: true });
  const stack = reliabilityStack();
  await stackDown(stack);
  for (const dir of ['ferretdb/data', 'kafka/data', 'redis'])
    fs.rmSync(path.join(stack.layout.root, dir), { recursive: true, force: true });
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
