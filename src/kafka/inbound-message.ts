import type { InboundHeaders } from '../contract/headers';
import type { MessageTrace } from '../tracing/slice-spans';

/** A Kafka record as the pipeline sees it: the runner converts kafkajs's type into this. */
export interface InboundMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Kafka's record timestamp, epoch milliseconds as a string. */
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: InboundHeaders;
  /** The message's span, while tracing is on: what it causes carries this context onwards. */
  readonly trace?: MessageTrace;
}

export function deliveryRef(message: InboundMessage): string {
  return `${message.topic}/${message.partition}/${message.offset}`;
}
