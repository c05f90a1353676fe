import type { Producer } from 'kafkajs';

import type { AppError } from '../errors';
import type { InboundMessage } from '../processing/inbound-message';

export interface DeadLetter {
  readonly message: InboundMessage;
  readonly error: AppError;
}

/** Header names on dead letters; `billing-enforcer dlq replay` reads them back. */
export const DLQ_HEADERS = {
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  code: 'dlq.error.code',
  reason: 'dlq.error.reason',
  failedAt: 'dlq.failed-at',
} as const;

/** Sends bad input to the dead-letter topic with its original key, bytes and headers, plus why. */
export class DeadLetterSink {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly clock: () => number,
    /** Bytes of values per send: large letters of one key share a partition batch, which the topic caps. */
    private readonly maxBatchBytes = 1_048_576,
  ) {}

  async send(letters: readonly DeadLetter[]): Promise<void> {
    let batch: DeadLetter[] = [];
    let bytes = 0;
    for (const letter of letters) {
      const size = letter.message.value?.length ?? 0;
      if (batch.length > 0 && bytes + size > this.maxBatchBytes) {
        await this.sendBatch(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(letter);
      bytes += size;
    }
    if (batch.length > 0) await this.sendBatch(batch);
  }

  private async sendBatch(letters: readonly DeadLetter[]): Promise<void> {
    const failedAt = new Date(this.clock()).toISOString();
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map(({ message, error }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [DLQ_HEADERS.topic]: message.topic,
          [DLQ_HEADERS.partition]: String(message.partition),
          [DLQ_HEADERS.offset]: message.offset,
          [DLQ_HEADERS.code]: error.code,
          [DLQ_HEADERS.reason]: error.message,
          [DLQ_HEADERS.failedAt]: failedAt,
        },
      })),
    });
  }
}
