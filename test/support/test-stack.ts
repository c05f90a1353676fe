import { Kafka, logLevel } from 'kafkajs';

import { fixRequestQueueTimer } from '../../src/kafka/request-queue-timer';
import type { StackConnection } from '../../tools/stack/layout';
import { runningPid } from '../../tools/stack/processes';
import { pidFile } from '../../tools/stack/service';
import { localStack, stackServices, stackUp, stopService } from '../../tools/stack/stack';
import { findContainerRuntime, startContainerStack } from './container-stack';
import { stackConnectionFrom, stackEnvKeys } from './stack-env';

/** The stack one test run uses, and how to undo exactly what the run started. */
export interface TestStack {
  readonly connection: StackConnection;
  readonly description: string;
  readonly stop: () => Promise<void>;
}

/**
 * Settings already in the environment win; then containers, when a Docker engine answers; then the native stack
 * under `.stack/`, of which only the services that were not running before are stopped afterwards.
 */
export async function chooseTestStack(env: NodeJS.ProcessEnv): Promise<TestStack> {
  const stack = await findOrStartStack(env);
  try {
    await waitForGroupCoordinator(stack.connection.KAFKA_BROKERS);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

async function findOrStartStack(env: NodeJS.ProcessEnv): Promise<TestStack> {
  const given = stackConnectionFrom(env);
  if (given !== undefined) return { connection: given, description: 'from the environment', stop: () => Promise.resolve() };
  const partial = stackEnvKeys.filter((key) => env[key]);
  const ignored = partial.length > 0 ? `; ignoring ${partial.join(', ')} (set all three to use your own)` : '';

  const runtime = await findContainerRuntime();
  if ('testcontainers' in runtime) {
    const containers = await startContainerStack(runtime.testcontainers);
    return { ...containers, description: `containers mongo:7, apache/kafka:4.1.1, redis:7${ignored}` };
  }
  const native = await nativeTestStack();
  return { ...native, description: `${native.description} (no container runtime: ${runtime.reason})${ignored}` };
}

async function nativeTestStack(): Promise<TestStack> {
  const stack = localStack();
  const startedHere = stackServices.filter((service) => runningPid(pidFile(stack.layout, service), service.marker) === undefined);
  const stop = async (): Promise<void> => {
    for (const service of [...startedHere].reverse()) await stopService(service, stack.layout);
  };
  try {
    await stackUp(stack);
  } catch (error) {
    await stop();
    throw error;
  }
  const names = startedHere.map((service) => service.name).join(', ');
  return {
    connection: stack.connection,
    description: `native ${stack.layout.root}, ${names === '' ? 'already running' : `started ${names}`}`,
    stop,
  };
}

/**
 * A fresh broker creates __consumer_offsets on the first group lookup; kafkajs retries meanwhile but logs each
 * attempt as an error. Doing that lookup here, quietly, keeps the first test's output clean.
 */
async function waitForGroupCoordinator(brokers: string): Promise<void> {
  fixRequestQueueTimer();
  const kafka = new Kafka({
    clientId: 'test-stack-warm-up',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeGroups(['test-stack-warm-up']);
  } finally {
    await admin.disconnect();
  }
}

// globalSetup and globalTeardown run in the same (parent) process, so the handle travels on globalThis.
const handle = Symbol.for('billing-enforcer.test-stack');

export function rememberTestStack(stack: TestStack): void {
  (globalThis as Record<symbol, unknown>)[handle] = stack;
}

export function takeTestStack(): TestStack | undefined {
  const global = globalThis as Record<symbol, TestStack | undefined>;
  const stack = global[handle];
  global[handle] = undefined;
  return stack;
}
