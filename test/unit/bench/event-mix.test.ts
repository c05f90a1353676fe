import { decodeMessage } from '../../../src/use-cases/decode-message';
import { consumers } from '../../../consumers/routes';
import type { EventConsumer } from '../../../consumers/consumer';
import { generateMix, mixSummary } from '../../../bench/event-mix';

describe('bench event mix', () => {
  it('is the same log for the same seed, and another for another seed', () => {
    const a = generateMix({ seed: 7, events: 500, prefix: 's' });
    expect(generateMix({ seed: 7, events: 500, prefix: 's' })).toEqual(a);
    expect(generateMix({ seed: 8, events: 500, prefix: 's' })).not.toEqual(a);
  });

  it('has exactly the requested count, several events per subscription, and mostly payments', () => {
    const events = generateMix({ seed: 1, events: 10_000, prefix: 's' });
    expect(events).toHaveLength(10_000);
    const subscriptions = new Set(events.map((event) => event.key));
    expect(subscriptions.size).toBeGreaterThan(1_500);
    expect(events.length / subscriptions.size).toBeGreaterThan(4);
    const counts = mixSummary(events);
    const payments = (counts['payment.overdue'] ?? 0) + (counts['payment.settled'] ?? 0);
    expect(payments / events.length).toBeGreaterThan(0.7);
    for (const type of [
      'fraud.detected',
      'fraud.cleared',
      'customer.suspend-requested',
      'customer.resume-requested',
      'customer.cancel-requested',
    ])
      expect(counts[type]).toBeGreaterThan(0);
  });

  it('keys each message by its subscription, with increasing occurredAt per subscription', () => {
    const events = generateMix({ seed: 3, events: 2_000, prefix: 's' });
    const last = new Map<string, number>();
    for (const event of events) {
      expect(event.key).toBe(event.command.subscriptionId);
      expect(event.command.occurredAt).toBeGreaterThanOrEqual(last.get(event.key) ?? 0);
      last.set(event.key, event.command.occurredAt);
    }
  });

  it('produces messages the worker decodes into the same commands', () => {
    const topics = { payments: 'billing.payments.v1', fraud: 'fraud.signals.v1', customer: 'customer.requests.v1' } as const;
    const routes = new Map<string, EventConsumer>(consumers.map((consumer) => [consumer.defaultTopic, consumer]));
    const options = { routes, maxMessageBytes: 1_048_576, maxClockSkewMs: 3_600_000 };
    for (const [index, event] of generateMix({ seed: 5, events: 300, prefix: 's' }).entries()) {
      const message = {
        topic: topics[event.topic],
        partition: 0,
        offset: String(index),
        timestamp: '0',
        key: Buffer.from(event.key),
        value: Buffer.from(event.value),
        headers: {},
      };
      const decoded = decodeMessage(message, options, Date.parse('2026-06-01T00:00:00Z'));
      // The log position is the message's own, which only orders dead-letter replays: the bench has none.
      expect(decoded.ok && { ...decoded.command, actor: event.command.actor, position: undefined }).toEqual(event.command);
    }
  });
});
