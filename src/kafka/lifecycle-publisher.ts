import type { Producer } from 'kafkajs';

import { lifecycleEnvelope } from '../contract/lifecycle';
import type { LifecycleEvent } from '../domain';
import { activeTraceparent, TRACEPARENT, type Traced } from '../tracing/trace-context';
import { kafkaFailure } from './kafka-errors';

/** Publishes lifecycle events keyed by subscription, so each subscription's events stay in order. */
export class LifecyclePublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /**
   * Each event's `traceparent` header names the span that caused it: the one given with the event (a message's span,
   * stored in the outbox), else the active span (a timer job's run); none while tracing is off.
   */
  async publish(events: readonly Traced<{ id: string; event: LifecycleEvent }>[]): Promise<void> {
    if (events.length === 0) return;
    const active = activeTraceparent();
    const messages = events.map(({ id, event, traceparent = active }) => ({
      key: event.subscriptionId,
      value: JSON.stringify(lifecycleEnvelope(id, event)),
      headers:
        traceparent === undefined
          ? { 'content-type': 'application/json', 'event-type': event.type }
          : { 'content-type': 'application/json', 'event-type': event.type, [TRACEPARENT]: traceparent },
    }));
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages });
    } catch (error) {
      throw kafkaFailure(error, { op: 'publish', topic: this.topic, count: events.length });
    }
  }
}
