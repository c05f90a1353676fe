import type { Settings } from './config';

/** The settings that say how to reach a secured Kafka; every Kafka client of the worker and the CLI takes them. */
export const KAFKA_SECURITY_SETTINGS = [
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SSL_REJECT_UNAUTHORIZED',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SASL_PASSWORD_FILE',
] as const;

export type KafkaSecuritySettings = Pick<Settings, (typeof KAFKA_SECURITY_SETTINGS)[number]>;

/** The combinations the schema cannot see field by field; each problem names the variables, never a value. */
export function kafkaSecurityProblems(settings: KafkaSecuritySettings): string[] {
  const problems: string[] = [];
  const tlsFiles = (['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const).filter(
    (key) => settings[key] !== undefined,
  );
  if (!settings.KAFKA_SSL && tlsFiles.length > 0) problems.push(`${tlsFiles.join(', ')}: set, but KAFKA_SSL is false`);
  if ((settings.KAFKA_SSL_CERT_FILE === undefined) !== (settings.KAFKA_SSL_KEY_FILE === undefined))
    problems.push('KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: a client certificate needs both');
  const password = settings.KAFKA_SASL_PASSWORD !== undefined || settings.KAFKA_SASL_PASSWORD_FILE !== undefined;
  if (settings.KAFKA_SASL_MECHANISM === undefined) {
    if (settings.KAFKA_SASL_USERNAME !== undefined || password)
      problems.push('KAFKA_SASL_MECHANISM: required when a SASL username or password is set (plain, scram-sha-256 or scram-sha-512)');
  } else {
    if (settings.KAFKA_SASL_USERNAME === undefined) problems.push(`KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM`);
    if (!password) problems.push('KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE: required with KAFKA_SASL_MECHANISM');
    if (settings.KAFKA_SASL_PASSWORD !== undefined && settings.KAFKA_SASL_PASSWORD_FILE !== undefined)
      problems.push('KAFKA_SASL_PASSWORD, KAFKA_SASL_PASSWORD_FILE: set one, not both');
  }
  return problems;
}
