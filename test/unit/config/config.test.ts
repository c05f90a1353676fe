import { loadConfig } from '../../../src/config/config';
import { DEFAULT_POLICY_SETTINGS, policyFrom } from '../../../src/domain';
import { AppError } from '../../../src/errors';

const required = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://localhost/be', REDIS_URL: 'redis://localhost:6379' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(required);
    expect(config).toMatchObject({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      TOPIC_BILLING_PAYMENTS: 'billing.payments.v1',
      TOPIC_FRAUD_SIGNALS: 'fraud.signals.v1',
      TOPIC_CUSTOMER_REQUESTS: 'customer.requests.v1',
      TOPIC_LIFECYCLE: 'subscription.lifecycle.v1',
      TOPIC_DLQ: 'billing-enforcer.dlq.v1',
      HTTP_PORT: 8080,
      DELETION_DELAY: 'P60D',
      DELETION_REMINDERS: ['P30D', 'P7D', 'P1D'],
      LEGAL_HOLD_RELEASE_GRACE: 'P7D',
      FRAUD_SCORE_THRESHOLD: 0.8,
      DATA_COLLECTIONS: [],
      SUBSCRIPTION_LEASE_TTL: 'PT15S',
    });
    expect(config.policy.deletionDelayMs).toBe(60 * 24 * 3600 * 1000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("takes the policy's defaults from the domain, their one home", () => {
    expect(loadConfig(required).policy).toEqual(policyFrom(DEFAULT_POLICY_SETTINGS));
  });

  it('parses lists and durations', () => {
    const config = loadConfig({
      ...required,
      KAFKA_BROKERS: 'a:1, b:2',
      DATA_COLLECTIONS: 'documents,invoices',
      DELETION_DELAY: 'PT5S',
      DELETION_REMINDERS: 'PT3S,PT1S',
    });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.DATA_COLLECTIONS).toEqual(['documents', 'invoices']);
    expect(config.policy.reminderOffsets).toEqual([
      { offset: 'PT3S', ms: 3_000 },
      { offset: 'PT1S', ms: 1_000 },
    ]);
  });

  it('refuses bad values, naming every problem, and never echoes the values', () => {
    const attempt = () =>
      loadConfig({
        MONGODB_URI: 'postgres://user:secret@h/db',
        REDIS_URL: 'redis://x',
        DELETION_DELAY: 'P2M',
        FRAUD_SCORE_THRESHOLD: '1.5',
        ADMIN_TOKEN: 'short',
      });
    expect(attempt).toThrow(AppError);
    try {
      attempt();
    } catch (error) {
      const message = (error as AppError).message;
      expect((error as AppError).code).toBe('CONFIG_INVALID');
      for (const name of ['KAFKA_BROKERS', 'MONGODB_URI', 'DELETION_DELAY', 'FRAUD_SCORE_THRESHOLD', 'ADMIN_TOKEN'])
        expect(message).toContain(name);
      expect(message).not.toContain('secret');
    }
  });

  it('refuses a subscription lease shorter than a second: renewals every third of it would flood Redis', () => {
    expect(() => loadConfig({ ...required, SUBSCRIPTION_LEASE_TTL: 'PT0S' })).toThrow(
      'SUBSCRIPTION_LEASE_TTL: must be at least one second',
    );
    expect(loadConfig({ ...required, SUBSCRIPTION_LEASE_TTL: 'PT1S' }).SUBSCRIPTION_LEASE_TTL).toBe('PT1S');
  });

  it('names a bounded duration that is no duration at all, instead of throwing while checking its bound', () => {
    for (const name of [
      'SUBSCRIPTION_LEASE_TTL',
      'CONSUMER_STALL_AFTER',
      'CONSOLE_LAG_SAMPLE_INTERVAL',
      'KAFKA_SESSION_TIMEOUT',
      'AUTH_FAILURE_INTERVAL',
    ])
      expect(() => loadConfig({ ...required, [name]: 'soon' })).toThrow(`${name}: must be an ISO 8601 duration`);
  });

  // Each was accepted, and then failed when first used: the consumer never joined, every timer job or the start failed,
  // kafkajs retried a port that cannot exist forever.
  it.each([
    ['KAFKA_SESSION_TIMEOUT', 'PT1S', 'must be from PT6S to PT30M'],
    ['KAFKA_SESSION_TIMEOUT', 'PT31M', 'must be from PT6S to PT30M'],
    ['TIMER_LOCK_DURATION', 'PT0S', 'must be at least one second (PT1S)'],
    ['RECONCILE_INTERVAL', 'PT0S', 'must be at least one second (PT1S)'],
    ['KAFKA_BROKERS', 'kafka:99999', 'KAFKA_BROKERS.0: the port must be from 1 to 65535'],
    ['KAFKA_BROKERS', 'a:9092,kafka:0', 'KAFKA_BROKERS.1: the port must be from 1 to 65535'],
  ])('refuses %s=%s, which would fail at first use', (name, value, problem) => {
    expect(() => loadConfig({ ...required, [name]: value })).toThrow(problem);
  });

  it('accepts the bounds themselves', () => {
    const config = loadConfig({ ...required, KAFKA_SESSION_TIMEOUT: 'PT6S', TIMER_LOCK_DURATION: 'PT1S', KAFKA_BROKERS: 'a:1,b:65535' });
    expect(config).toMatchObject({ KAFKA_SESSION_TIMEOUT: 'PT6S', TIMER_LOCK_DURATION: 'PT1S', KAFKA_BROKERS: ['a:1', 'b:65535'] });
    expect(loadConfig({ ...required, KAFKA_SESSION_TIMEOUT: 'PT30M' }).KAFKA_SESSION_TIMEOUT).toBe('PT30M');
  });
});

describe('loadConfig in production', () => {
  const production = { ...required, NODE_ENV: 'production' };

  it('refuses to start with the ops routes enabled and no ADMIN_TOKEN', () => {
    expect(() => loadConfig(production)).toThrow(/ADMIN_TOKEN: required in production/);
  });

  it('starts with a token, or with the ops routes turned off', () => {
    expect(loadConfig({ ...production, ADMIN_TOKEN: 'a-long-enough-admin-token' }).NODE_ENV).toBe('production');
    expect(loadConfig({ ...production, OPS_ROUTES_ENABLED: 'false' }).OPS_ROUTES_ENABLED).toBe(false);
  });

  it('refuses to write an audit trail without its hash chain (AUDIT_CHAIN=false is for benchmarks)', () => {
    const started = { ...production, ADMIN_TOKEN: 'a-long-enough-admin-token' };
    expect(() => loadConfig({ ...started, AUDIT_CHAIN: 'false' })).toThrow(/AUDIT_CHAIN: false is for benchmarks/);
    expect(loadConfig({ ...started, AUDIT_CHAIN: 'true' }).AUDIT_CHAIN).toBe(true);
    expect(loadConfig({ ...required, AUDIT_CHAIN: 'false' }).AUDIT_CHAIN).toBe(false);
  });
});

describe('deletion certificate keys', () => {
  it('names the setting and the problem when the signing key file is missing or not an Ed25519 key', () => {
    expect(() => loadConfig({ ...required, DELETION_SIGNING_KEY_FILE: '/nonexistent/key.pem' })).toThrow(
      /DELETION_SIGNING_KEY_FILE: cannot read \/nonexistent\/key.pem \(ENOENT\)/,
    );
    expect(() => loadConfig({ ...required, DELETION_SIGNING_KEY_FILE: __filename })).toThrow(
      /DELETION_SIGNING_KEY_FILE: is not a PEM private key/,
    );
  });

  it('signs nothing when no key is configured', () => {
    expect(loadConfig(required).certificateKeys).toEqual({ signing: null, publicKeys: new Map() });
  });
});
