import path from 'node:path';

import { connectionFor, stackLayout, stackPorts } from '../../../tools/stack/layout';
import type { ServiceDefinition } from '../../../tools/stack/service';
import { stackServices, startService, stopService, type Stack } from '../../../tools/stack/stack';

/**
 * The fault-injection suite stops and restarts servers, so it gets a stack of its own (own directory, own ports):
 * the integration tests' stack is never disturbed, even when both run at once. Its ports are overridable like the
 * local stack's: RELIABILITY_KAFKA_PORT, RELIABILITY_KAFKA_CONTROLLER_PORT, RELIABILITY_MONGO_PORT, RELIABILITY_REDIS_PORT.
 */
export function reliabilityStack(): Stack {
  const root = process.env.RELIABILITY_STACK_DIR ?? path.resolve(__dirname, '..', '..', '..', '.stack', 'reliability');
  const ports = stackPorts('RELIABILITY', { kafka: 39192, kafkaController: 39193, mongo: 37117, redis: 36479 });
  return { layout: stackLayout(root), ports, connection: connectionFor(ports) };
}

export type ServiceName = 'redis' | 'ferretdb' | 'kafka';

function service(name: ServiceName): ServiceDefinition {
  const found = stackServices.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
}

/** Stops one server of the reliability stack (SIGTERM, then SIGKILL after its grace). */
export async function stopServer(name: ServiceName): Promise<void> {
  const stack = reliabilityStack();
  await stopService(service(name), stack.layout);
}

/** Starts it again and waits until it answers. */
export async function startServer(name: ServiceName): Promise<void> {
  const stack = reliabilityStack();
  await startService(service(name), stack.layout, stack.ports);
}
