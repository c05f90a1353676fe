import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { freePort } from '../support/free-port';
import { startSecureKafka, type SecureKafka } from '../support/secure-kafka';
import { stackConnection } from '../support/stack-env';
import { uniqueName } from '../support/unique-name';
import { withDatabase } from '../support/worker-harness';

// The worker and the CLI against a broker that only speaks SASL_SSL (SCRAM-SHA-512, a private CA): they connect with
// the right credentials; with a wrong password they stop at once, say which settings to check, and print no secret.
const repo = path.resolve(__dirname, '..', '..');

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

function start(script: string, args: string[], env: Record<string, string>): Run {
  let output = '';
  // tsx as a loader in this node, not its launcher, so SIGTERM reaches the worker itself.
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function waitForReady(url: string, run: Run): Promise<number> {
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`the worker exited with ${run.child.exitCode}:\n${run.output()}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return response.status;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('Kafka over SASL_SSL', () => {
  let kafka: SecureKafka;
  let passwordFile: string;
  const wrongPassword = 'wrong-password-7d1c0e5b';
  const running: Run[] = [];

  beforeAll(async () => {
    kafka = await startSecureKafka();
    passwordFile = path.join(kafka.dir, 'sasl-password');
    // As a mounted secret usually is: with a trailing newline.
    fs.writeFileSync(passwordFile, `${kafka.password}\n`);
  }, 240_000);

  afterAll(async () => {
    for (const run of running) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await Promise.all(running.map((run) => run.exit));
    await kafka.stop();
  });

  function env(password: { KAFKA_SASL_PASSWORD: string } | { KAFKA_SASL_PASSWORD_FILE: string }): Record<string, string> {
    const stack = stackConnection();
    return {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      // Debug logs too must not carry a secret.
      LOG_LEVEL: 'debug',
      MONGODB_URI: withDatabase(stack.MONGODB_URI, uniqueName('sasl').slice(0, 40)),
      REDIS_URL: stack.REDIS_URL,
      QUEUE_PREFIX: uniqueName('q').slice(0, 32),
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_TOPIC_PARTITIONS: '2',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: kafka.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: kafka.username,
      ...password,
    };
  }

  it('runs the worker: topics created, consumers joined, /readyz 200', async () => {
    const port = await freePort();
    const run = start('src/main.ts', [], { ...env({ KAFKA_SASL_PASSWORD_FILE: passwordFile }), HTTP_PORT: String(port) });
    running.push(run);
    expect(await waitForReady(`http://127.0.0.1:${port}/readyz`, run)).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.output()).not.toContain(kafka.password);
  });

  it('stops the worker at start-up on a wrong password, naming the settings, not the secret', async () => {
    const run = start('src/main.ts', [], { ...env({ KAFKA_SASL_PASSWORD: wrongPassword }), HTTP_PORT: String(await freePort()) });
    running.push(run);
    expect(await run.exit).toBe(78);
    expect(run.output()).toContain('KAFKA_AUTH_FAILED: Kafka refused SASL scram-sha-512 authentication of user "billing-enforcer"');
    expect(run.output()).not.toContain(wrongPassword);
    expect(run.output()).not.toContain(kafka.password);
  });

  it('runs the CLI: a replay connects its producer; a wrong password exits 78 without the secret', async () => {
    const ok = start('src/cli/main.ts', ['dlq', 'replay', '--all', '--json'], env({ KAFKA_SASL_PASSWORD_FILE: passwordFile }));
    running.push(ok);
    expect([await ok.exit, ok.output()]).toEqual([0, expect.stringContaining('"replayed": 0') as string]);

    const refused = start('src/cli/main.ts', ['dlq', 'replay', '--all', '--verbose'], env({ KAFKA_SASL_PASSWORD: wrongPassword }));
    running.push(refused);
    expect(await refused.exit).toBe(78);
    expect(refused.output()).toContain('Kafka refused SASL scram-sha-512 authentication');
    expect(refused.output()).not.toContain(wrongPassword);
    expect(refused.output()).not.toContain(kafka.password);
  });
});
