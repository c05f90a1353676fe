import { randomUUID } from 'node:crypto';

/**
 * A name no other test (or test run) uses, e.g. `topic-0b6f…`: valid as a Kafka topic, a consumer group,
 * a BullMQ queue (no `:`) and a MongoDB/FerretDB database name (under 64 characters, no `.`).
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}
