import {
  Kafka,
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  logLevel,
} from 'kafkajs';

import { AppError } from '../../../src/errors';
import { kafkaFailure } from '../../../src/kafka/kafka-errors';

const context = { op: 'publish', topic: 'subscription.lifecycle.v1' };

// kafkajs's types declare some constructors without arguments; at run time each takes a message, as kafkajs passes it.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => KafkaJSSASLAuthenticationError;

describe('kafkaFailure', () => {
  it('maps a broker that is not there to DEPENDENCY_UNAVAILABLE, keeping cause and context', async () => {
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, connectionTimeout: 500, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const error: unknown = await producer.connect().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(Error);
    expect(kafkaFailure(error, context)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true, cause: error, context });
    await producer.disconnect();
  });

  it("names the broker's reasons for a refusal (a topic it cannot create), not only that the call failed", () => {
    const refused = Object.assign(new KafkaJSProtocolError('Replication factor is invalid'), {
      retriable: false,
      type: 'INVALID_REPLICATION_FACTOR',
      topic: 'billing.payments.v1',
    });
    const error = kafkaFailure(new KafkaJSAggregateError('Topic creation errors', [refused, refused]), { op: 'ensure topics' });
    expect(error).toMatchObject({ code: 'INTERNAL', retriable: false });
    expect(error.message).toBe('Kafka: ensure topics failed: INVALID_REPLICATION_FACTOR (billing.payments.v1)');
  });

  it("follows kafkajs's retriable flag; retries run out is still an outage", () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    expect(kafkaFailure(connection, context).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(kafkaFailure(new KafkaJSRequestTimeoutError('Request timed out'), context).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(kafkaFailure(new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 5, retryTime: 1000 }), context).code).toBe(
      'DEPENDENCY_UNAVAILABLE',
    );
    expect(kafkaFailure(new KafkaJSAggregateError('all brokers failed', [connection]), context).code).toBe('DEPENDENCY_UNAVAILABLE');
    // A record the broker refuses (MESSAGE_TOO_LARGE is not retriable) is not an outage.
    const tooLarge = Object.assign(new KafkaJSProtocolError('The request included a message larger than the max message size'), {
      retriable: false,
    });
    expect(kafkaFailure(tooLarge, context)).toMatchObject({ code: 'INTERNAL', retriable: false });
  });

  it('maps refused credentials to KAFKA_AUTH_FAILED', () => {
    expect(kafkaFailure(new SaslError('SASL PLAIN authentication failed'), context)).toMatchObject({
      code: 'KAFKA_AUTH_FAILED',
      retriable: false,
    });
  });

  it('maps anything else to INTERNAL and passes an AppError through', () => {
    expect(kafkaFailure(new TypeError('bug'), context).code).toBe('INTERNAL');
    const busy = new AppError('SUBSCRIPTION_BUSY', 'held');
    expect(kafkaFailure(busy, context)).toBe(busy);
  });
});
