import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { ferretdbService } from './ferretdb.service';
import { kafkaService } from './kafka.service';
import { redisService } from './redis.service';
import { connectionFor, stackLayout, stackPorts, type StackConnection, type StackLayout, type StackPorts } from './layout';
import { serviceStatus, startService, stopService, type ServiceDefinition, type ServiceStatus } from './service';

/** Started in this order, stopped in the reverse one. */
export const stackServices: readonly ServiceDefinition[] = [redisService, ferretdbService, kafkaService];

export interface Stack {
  readonly layout: StackLayout;
  readonly ports: StackPorts;
  readonly connection: StackConnection;
}

export function localStack(): Stack {
  const layout = stackLayout();
  const ports = stackPorts();
  return { layout, ports, connection: connectionFor(ports) };
}

/**
 * The local stack's deletion-certificate signing key, made once and kept (so certificates signed on it stay verifiable
 * with `certificate verify`): an Ed25519 private key, PKCS #8 PEM, readable by its owner only.
 */
export function ensureSigningKey(layout: StackLayout): string {
  const file = path.join(layout.root, 'signing', 'deletion-certificate-key.pem');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  return file;
}

function writeEnvFile(stack: Stack): void {
  const settings = { ...stack.connection, DELETION_SIGNING_KEY_FILE: ensureSigningKey(stack.layout) };
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  fs.writeFileSync(stack.layout.envFile, `${lines.join('\n')}\n`);
}

/** Provisions and starts every service that is not already running; idempotent. */
export async function stackUp(stack: Stack, report: (line: string) => void = () => undefined): Promise<void> {
  fs.mkdirSync(stack.layout.logs, { recursive: true });
  // Services start concurrently: Kafka's JVM start-up dominates and the others need not wait for it.
  const begun = Date.now();
  const pending = new Set(stackServices.map((service) => service.name));
  const ticker = setInterval(() => {
    report(`still waiting for ${[...pending].join(', ')} (${Math.round((Date.now() - begun) / 1000)} s)…`);
  }, 15_000);
  try {
    await Promise.all(
      stackServices.map(async (service) => {
        const started = Date.now();
        const outcome = await startService(service, stack.layout, stack.ports, (line) => {
          report(`${service.name}: ${line}`);
        });
        pending.delete(service.name);
        report(`${service.name}: ${outcome} on 127.0.0.1:${service.port(stack.ports)} (${Date.now() - started} ms)`);
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  writeEnvFile(stack);
}

export async function stackDown(stack: Stack, report: (line: string) => void = () => undefined): Promise<void> {
  for (const service of [...stackServices].reverse()) {
    const stopped = await stopService(service, stack.layout);
    report(`${service.name}: ${stopped ? 'stopped' : 'not running'}`);
  }
}

export async function stackStatus(stack: Stack): Promise<ServiceStatus[]> {
  return await Promise.all(stackServices.map((service) => serviceStatus(service, stack.layout, stack.ports)));
}

export { stopService, startService };
