import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';

import type { BenchEvent, TopicKey } from './event-mix';

export type TopicNames = Record<TopicKey, string>;

export function benchKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

export async function createTopics(kafka: Kafka, names: readonly string[], partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, names: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = names.filter((name) => existing.has(name));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group is Stable with `members` members, each holding partitions: from then on latency is not join time. */
export async function waitForGroup(kafka: Kafka, groupId: string, members: number, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      if (
        group?.state === 'Stable' &&
        group.members.length === members &&
        group.members.every((member) => member.memberAssignment.length > 0)
      )
        return;
      if (Date.now() > deadline) throw new Error(`group ${groupId} not stable with ${members} members (state ${group?.state ?? '?'})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Idempotent, as upstream producers should be (docs/events.md): a plain producer that retries a timed-out batch appends
 * it again after what followed it, so a settlement is logged a second time after the overdue notice it preceded and,
 * by the log's order, lifts it. The model (the log as generated) then disagrees with a worker that did right.
 */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  return producer;
}

async function sendSlice(producer: Producer, topics: TopicNames, slice: readonly BenchEvent[]): Promise<void> {
  const byTopic = new Map<string, { key: string; value: string }[]>();
  for (const event of slice) {
    const topic = topics[event.topic];
    const list = byTopic.get(topic) ?? [];
    list.push({ key: event.key, value: event.value });
    byTopic.set(topic, list);
  }
  await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
}

/**
 * Produces the log in order. With `ratePerSecond`, paces to that rate on a 50 ms tick against the wall clock (so a slow
 * send is caught up, not lost); without, sends 500-message batches back to back. Resolves with when it started.
 */
export async function produce(
  producer: Producer,
  topics: TopicNames,
  events: readonly BenchEvent[],
  options: { ratePerSecond?: number; onProgress?: (sent: number) => void } = {},
): Promise<number> {
  const startedAt = Date.now();
  const rate = options.ratePerSecond;
  let sent = 0;
  while (sent < events.length) {
    const due = rate === undefined ? events.length : Math.min(events.length, Math.floor(((Date.now() - startedAt) / 1000) * rate) + 1);
    const end = Math.min(due, sent + 500);
    if (end > sent) {
      await sendSlice(producer, topics, events.slice(sent, end));
      sent = end;
      options.onProgress?.(sent);
    } else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return startedAt;
}

/**
 * Messages on `topics` the group has not committed. A producer that retried a timed-out send may have written a message
 * twice, so "handled as many as produced" is not "done": a run ends when this is 0.
 */
export async function uncommitted(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let behind = 0;
    for (const topic of topics) {
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      for (const end of ends) {
        const offset = Number(committed?.partitions.find((partition) => partition.partition === end.partition)?.offset ?? -1);
        behind += Math.max(0, Number(end.high) - (offset < 0 ? Number(end.low) : offset));
      }
    }
    return behind;
  } finally {
    await admin.disconnect();
  }
}
