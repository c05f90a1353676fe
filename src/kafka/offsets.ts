import type { Admin, Kafka } from 'kafkajs';

import { kafkaFailure } from './kafka-errors';

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Messages on the partition the group has not committed past. */
  readonly lag: number;
  /** Where the group resumes on the partition: its committed offset, or the partition's start before its first commit. */
  readonly committed: number;
}

/**
 * Read-only offset questions for operators (consumer lag, messages held in a topic), on one admin connection
 * opened at the first question and kept until `close()`.
 */
export class KafkaOffsets {
  private readonly admin: Admin;
  private connecting: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin();
  }

  private async connected(): Promise<Admin> {
    this.connecting ??= this.admin.connect().catch((error: unknown) => {
      // Let the next question try again instead of failing forever.
      this.connecting = undefined;
      throw error;
    });
    await this.connecting;
    return this.admin;
  }

  /**
   * The group's lag on every partition of `topics`: end offset minus committed offset. A partition the group has
   * not committed on yet counts from its start, as the worker subscribes from the beginning.
   */
  async consumerLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    let committed: Awaited<ReturnType<Admin['fetchOffsets']>>;
    let ends: { topic: string; partitions: Awaited<ReturnType<Admin['fetchTopicOffsets']>> }[];
    try {
      const admin = await this.connected();
      [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId, topics: [...topics] }),
        Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
      ]);
    } catch (error) {
      throw kafkaFailure(error, { op: 'consumer lag', groupId });
    }
    const committedAt = new Map<string, bigint>();
    for (const { topic, partitions } of committed)
      for (const { partition, offset } of partitions) committedAt.set(`${topic}/${partition}`, BigInt(offset));
    return ends.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, high, low }) => {
        const at = committedAt.get(`${topic}/${partition}`) ?? -1n;
        const from = at < 0n ? BigInt(low) : at;
        const lag = BigInt(high) - from;
        return { topic, partition, lag: Number(lag > 0n ? lag : 0n), committed: Number(from) };
      }),
    );
  }

  /** Messages a topic still holds: end minus start offset, summed over its partitions. */
  async messagesIn(topic: string): Promise<number> {
    let partitions: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
    try {
      partitions = await (await this.connected()).fetchTopicOffsets(topic);
    } catch (error) {
      throw kafkaFailure(error, { op: 'topic offsets', topic });
    }
    return partitions.reduce((sum, { high, low }) => sum + Number(BigInt(high) - BigInt(low)), 0);
  }

  async close(): Promise<void> {
    if (this.connecting === undefined) return;
    this.connecting = undefined;
    await this.admin.disconnect();
  }
}
