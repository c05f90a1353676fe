import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

import { KafkaJSSASLAuthenticationError, type SASLOptions } from 'kafkajs';

import { kafkaSecurityProblems, type KafkaSecuritySettings } from '../config/kafka-security-settings';
import { AppError } from '../errors';

/** What kafkajs's constructor takes for TLS and SASL. */
export interface KafkaSecurity {
  readonly ssl?: ConnectionOptions | boolean;
  readonly sasl?: SASLOptions;
}

function readSetting(name: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${name}: cannot read ${file} (${reason})`);
  }
}

/** Reads the certificate, key and password files and builds kafkajs's `ssl` and `sasl`; a bad setting is CONFIG_INVALID. */
export function kafkaSecurity(settings: KafkaSecuritySettings): KafkaSecurity {
  const problems = kafkaSecurityProblems(settings);
  if (problems.length > 0)
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, { context: { problems } });
  const ssl: ConnectionOptions | boolean = settings.KAFKA_SSL
    ? {
        rejectUnauthorized: settings.KAFKA_SSL_REJECT_UNAUTHORIZED,
        ...(settings.KAFKA_SSL_CA_FILE === undefined ? {} : { ca: [readSetting('KAFKA_SSL_CA_FILE', settings.KAFKA_SSL_CA_FILE)] }),
        ...(settings.KAFKA_SSL_CERT_FILE === undefined ? {} : { cert: readSetting('KAFKA_SSL_CERT_FILE', settings.KAFKA_SSL_CERT_FILE) }),
        ...(settings.KAFKA_SSL_KEY_FILE === undefined ? {} : { key: readSetting('KAFKA_SSL_KEY_FILE', settings.KAFKA_SSL_KEY_FILE) }),
      }
    : false;
  const mechanism = settings.KAFKA_SASL_MECHANISM;
  if (mechanism === undefined || settings.KAFKA_SASL_USERNAME === undefined) return { ssl };
  // A password file ends with the newline editors and `echo` add; the password itself never does.
  const password =
    settings.KAFKA_SASL_PASSWORD ?? readSetting('KAFKA_SASL_PASSWORD_FILE', settings.KAFKA_SASL_PASSWORD_FILE ?? '').replace(/\r?\n$/, '');
  return { ssl, sasl: { mechanism, username: settings.KAFKA_SASL_USERNAME, password } };
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < 8;) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * KAFKA_AUTH_FAILED when Kafka refused our credentials or we refused its certificate: retrying cannot help, so the
 * worker stops at start-up and the CLI exits, saying which settings to check. The message names the user and the
 * mechanism, never the password. Anything else: undefined (the caller's usual handling applies).
 */
export function kafkaAuthFailure(error: unknown, settings: KafkaSecuritySettings): AppError | undefined {
  for (const cause of causes(error)) {
    if (!(cause instanceof Error)) continue;
    if (cause instanceof KafkaJSSASLAuthenticationError) {
      return new AppError(
        'KAFKA_AUTH_FAILED',
        `Kafka refused SASL ${settings.KAFKA_SASL_MECHANISM ?? ''} authentication of user ${JSON.stringify(settings.KAFKA_SASL_USERNAME ?? '')}: ` +
          'check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)',
      );
    }
    const code = 'code' in cause ? String(cause.code) : '';
    if (TLS_ERROR_CODES.has(code)) {
      return new AppError(
        'KAFKA_AUTH_FAILED',
        `TLS with Kafka failed (${code}): check KAFKA_SSL_CA_FILE (the CA that signed the brokers' certificates) and the broker addresses in KAFKA_BROKERS`,
      );
    }
  }
  return undefined;
}
