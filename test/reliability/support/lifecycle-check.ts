import type { Kafka } from 'kafkajs';

/**
 * One application's trace on the lifecycle topic: the inbound eventId that caused it, the lifecycle type and, for
 * hold events, which hold. One application publishes each such key at most once.
 */
export function lifecycleKey(causationId: string, type: string, holdReason?: string): string {
  return `${causationId} ${type}${holdReason === undefined ? '' : ` ${holdReason}`}`;
}

/**
 * Hold events depend only on one hold's refs, which all come from one topic (nonpayment from payments, fraud from
 * fraud signals, customer requests from theirs), whose per-key order the worker keeps. Status events (suspended,
 * reactivated, deletion-*) depend on every hold, so on how the three topics interleave, which the model (the log's
 * order) cannot know: which event suspends a subscription may differ, the final state may not.
 */
const ORDER_INDEPENDENT = /^\S+ subscription\.hold-(added|lifted) /;

/**
 * Repeated and lost applications, seen from the lifecycle topic rather than the audit trail (whose records for one
 * event share an id, so a second application's record is silently dropped). A lifecycle event's eventId is its outbox
 * entry's id: stable across re-publishing (at-least-once), new for every application. So one key with two eventIds
 * is an inbound event applied twice. A hold event the model publishes and the topic lacks is a lost application or
 * publish; one the model does not publish is a wrong application.
 */
export function lifecycleDifferences(
  expected: ReadonlySet<string>,
  observed: ReadonlyMap<string, ReadonlySet<string>>,
  inboundEventIds: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const key of expected)
    if (ORDER_INDEPENDENT.test(key) && !observed.has(key)) problems.push(`lifecycle ${key}: lost (the model publishes it)`);
  for (const [key, eventIds] of observed) {
    const causation = key.split(' ')[0] ?? '';
    // Timer jobs cause lifecycle events too; only inbound events are checked against the model.
    if (!inboundEventIds.has(causation)) continue;
    if (eventIds.size > 1) problems.push(`lifecycle ${key}: published by ${eventIds.size} applications (applied twice)`);
    if (ORDER_INDEPENDENT.test(key) && !expected.has(key)) problems.push(`lifecycle ${key}: published, the model does not publish it`);
  }
  return problems;
}

/** Every message on a topic, from its beginning to its end as of the call: key to the distinct lifecycle eventIds. */
export async function readLifecycle(kafka: Kafka, topic: string, timeoutMs = 120_000): Promise<Map<string, Set<string>>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((end) => Number(end.high) > Number(end.low)).map((end) => [end.partition, Number(end.high)]));
  const observed = new Map<string, Set<string>>();
  if (remaining.size === 0) return observed;
  const consumer = kafka.consumer({
    groupId: `lifecycle-check-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`lifecycle topic not read to its end in ${timeoutMs} ms`));
      }, timeoutMs);
      void consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const event = JSON.parse(message.value?.toString('utf8') ?? 'null') as {
              eventId: string;
              type: string;
              data: { causationId: string; holdReason?: string };
            } | null;
            if (event !== null) {
              const key = lifecycleKey(event.data.causationId, event.type, event.data.holdReason);
              observed.set(key, (observed.get(key) ?? new Set<string>()).add(event.eventId));
            }
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
            await Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return observed;
}
