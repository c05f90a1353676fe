import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { KafkaJSSASLAuthenticationError } from 'kafkajs';

import { loadConfig } from '../../../src/config/config';
import { isAppError } from '../../../src/errors';
import { createLogger } from '../../../src/logging/logger';
import type { KafkaSecuritySettings } from '../../../src/config/kafka-security-settings';
import { kafkaAuthFailure, kafkaSecurity } from '../../../src/kafka/kafka-security';

const base = { KAFKA_BROKERS: 'kafka:9092', MONGODB_URI: 'mongodb://mongo/db', REDIS_URL: 'redis://redis:6379' };
const none: KafkaSecuritySettings = { KAFKA_SSL: false, KAFKA_SSL_REJECT_UNAUTHORIZED: true };

function configError(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (isAppError(error)) return error.message;
  }
  return 'no error';
}

describe('Kafka TLS and SASL settings', () => {
  it('defaults to plain text without SASL', () => {
    expect(kafkaSecurity(loadConfig(base))).toEqual({ ssl: false });
  });

  it('refuses incomplete or contradictory combinations, naming the variables and never a value', () => {
    expect(configError({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' })).toContain(
      'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE: required with KAFKA_SASL_MECHANISM',
    );
    expect(configError({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2-secret' })).not.toContain('hunter2-secret');
    expect(configError({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2-secret' })).toContain('KAFKA_SASL_MECHANISM: required');
    expect(configError({ KAFKA_SSL_CA_FILE: '/ca.pem' })).toContain('KAFKA_SSL_CA_FILE: set, but KAFKA_SSL is false');
    expect(configError({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/c.pem' })).toContain('a client certificate needs both');
    expect(configError({ KAFKA_SASL_MECHANISM: 'gssapi' })).toContain('KAFKA_SASL_MECHANISM');
  });

  it('reads the CA and the password file (without its trailing newline)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'be-kafka-security-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'CA PEM');
    fs.writeFileSync(path.join(dir, 'password'), 's3cret\n');
    const security = kafkaSecurity({
      ...none,
      KAFKA_SSL: true,
      KAFKA_SSL_CA_FILE: path.join(dir, 'ca.pem'),
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'worker',
      KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'password'),
    });
    expect(security).toEqual({
      ssl: { rejectUnauthorized: true, ca: ['CA PEM'] },
      sasl: { mechanism: 'scram-sha-256', username: 'worker', password: 's3cret' },
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('names a missing file by its variable', () => {
    expect(() => kafkaSecurity({ ...none, KAFKA_SSL: true, KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
      'KAFKA_SSL_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)',
    );
  });

  it('turns a refused login into KAFKA_AUTH_FAILED without the password, and leaves other errors alone', () => {
    // kafkajs's types declare no constructor arguments; at run time it takes the message, as kafkajs itself passes it.
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => KafkaJSSASLAuthenticationError;
    const refused = new SaslError('SASL SCRAM SHA512 authentication failed: hunter2');
    const settings = {
      ...none,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'worker',
      KAFKA_SASL_PASSWORD: 'hunter2',
    } as const;
    const failure = kafkaAuthFailure(new Error('connect failed', { cause: refused }), settings);
    expect(failure?.code).toBe('KAFKA_AUTH_FAILED');
    expect(failure?.message).not.toContain('hunter2');
    expect(kafkaAuthFailure(new Error('ECONNREFUSED'), settings)).toBeUndefined();
  });

  it('keeps Kafka passwords out of log lines', () => {
    const lines: string[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => lines.push(line) });
    logger.info(
      { KAFKA_SASL_PASSWORD: 'p-1', kafka: { sasl: { mechanism: 'plain', username: 'u', password: 'p-2' } }, password: 'p-3' },
      'x',
    );
    expect(lines.join('')).not.toMatch(/p-[123]/);
    expect(lines.join('')).toContain('"username":"u"');
  });
});
