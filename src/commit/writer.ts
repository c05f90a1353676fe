import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';

import type { Settings } from '../config/config';
import { parseDuration } from '../domain';
import { KeyedLock } from '../leases/keyed-lock';
import { leasePrefix, SubscriptionLeases, type LeaseOptions } from '../leases/subscription-leases';
import type { Stores } from '../storage/stores';
import { buildCommitPath } from './build-commit-path';
import type { CommitPath, Failpoint } from './commit-path';

/** What a process that writes subscriptions holds: the one commit path, and the lock table with its Redis leases. */
export interface Writer {
  readonly commits: CommitPath;
  readonly locks: KeyedLock;
}

export type WriterSettings = Pick<Settings, 'QUEUE_PREFIX' | 'TOPIC_LIFECYCLE' | 'SUBSCRIPTION_LEASE_TTL'> &
  Partial<Pick<Settings, 'AUDIT_CHAIN'>>;

/** The settings `buildWriter` reads, for commands that declare what they use. */
export const WRITER_SETTINGS = [
  'QUEUE_PREFIX',
  'TOPIC_LIFECYCLE',
  'SUBSCRIPTION_LEASE_TTL',
  'AUDIT_CHAIN',
] as const satisfies readonly (keyof WriterSettings)[];

/**
 * The worker and every CLI command that writes build their writer here, so both mark, write and carry out effects the
 * same way, and take the same leases (their prefix names the database: every writer of one database shares it).
 */
export function buildWriter(parts: {
  readonly database: string;
  readonly stores: Stores;
  readonly queue: Queue;
  readonly producer: Producer;
  /** A connection that fails fast while Redis is away (the leases'), so a commit fails as transient instead of hanging. */
  readonly redis: Redis;
  readonly settings: WriterSettings;
  readonly clock: () => number;
  readonly failpoint?: Failpoint;
  readonly observe?: Pick<LeaseOptions, 'metrics' | 'logger'>;
}): Writer {
  const { settings } = parts;
  const leases = new SubscriptionLeases(parts.redis, {
    prefix: leasePrefix(settings.QUEUE_PREFIX, parts.database),
    ttlMs: parseDuration(settings.SUBSCRIPTION_LEASE_TTL),
    ...parts.observe,
  });
  const commits = buildCommitPath({
    database: parts.database,
    ...parts.stores,
    queue: parts.queue,
    producer: parts.producer,
    redis: parts.redis,
    queuePrefix: settings.QUEUE_PREFIX,
    lifecycleTopic: settings.TOPIC_LIFECYCLE,
    clock: parts.clock,
    chain: settings.AUDIT_CHAIN ?? true,
    ...(parts.failpoint === undefined ? {} : { failpoint: parts.failpoint }),
  });
  return { commits, locks: new KeyedLock(leases) };
}
