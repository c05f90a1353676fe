import type { Producer } from 'kafkajs';

import { lifecycleEnvelope } from '../contract/lifecycle';
import type { LifecycleEvent } from '../domain';
import { kafkaFailure } from './kafka-errors';

/** Publishes lifecycle events keyed by subscription, so each subscription's events stay in order. */
export class LifecyclePublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  async publish(events: readonly { id: string; event: LifecycleEvent }[]): Promise<void> {
    if (events.length === 0) return;
    const messages = events.map(({ id, event }) => ({
      key: event.subscriptionId,
      value: JSON.stringify(lifecycleEnvelope(id, event)),
      headers: { 'content-type': 'application/json', 'event-type': event.type },
    }));
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages });
    } catch (error) {
      throw kafkaFailure(error, { op: 'publish', topic: this.topic, count: events.length });
    }
  }
}
