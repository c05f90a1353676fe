import type { Redis } from 'ioredis';

import { buildCommitPath } from '../../src/commit/build-commit-path';
import type { CommitPath } from '../../src/commit/commit-path';
import { KeyedLock } from '../../src/leases/keyed-lock';
import { SubscriptionRepository, type PendingWrite } from '../../src/storage/subscription.repository';
import type { ApplyDeps } from '../../src/use-cases/apply-commands';
import type { Harness } from './worker-harness';

/**
 * The store as one writer sees it, with a hook that runs between its read and its write: where a second writer gets
 * in. A race made deterministic: the other writer reads the same version, stores a newer one, and only then does
 * this writer's write reach the server.
 */
export class InterleavedRepository extends SubscriptionRepository {
  private readonly before: (() => Promise<unknown>)[] = [];
  /** What each of this writer's writes reported lost, in order. */
  readonly lost: Set<string>[] = [];

  /** Runs `other` just before this writer's next write (one write per call). */
  beforeNextWrite(other: () => Promise<unknown>): void {
    this.before.push(other);
  }

  override async write(writes: readonly PendingWrite[], token: string): Promise<Set<string>> {
    await this.before.shift()?.();
    const lost = await super.write(writes, token);
    this.lost.push(lost);
    return lost;
  }
}

/** A writer racing the harness's worker: the same database, dialect and effects, but locks of its own and no leases, as a process whose lease lapsed. */
export interface RacingWriter {
  readonly subscriptions: InterleavedRepository;
  readonly commits: CommitPath;
  readonly locks: KeyedLock;
  /** Its dependencies for `applyCommands`. */
  readonly apply: ApplyDeps;
}

export function racingWriter(h: Harness, redis: Redis, options: { maxConflictRetries?: number } = {}): RacingWriter {
  const subscriptions = new InterleavedRepository(h.app.connection, h.app.subscriptions.dialect);
  const commits = buildCommitPath({
    database: h.app.connection.name,
    subscriptions,
    audit: h.app.audit,
    queue: h.app.queue,
    producer: h.app.producer,
    redis,
    queuePrefix: h.app.config.QUEUE_PREFIX,
    lifecycleTopic: h.topics.lifecycle,
    clock: Date.now,
  });
  const locks = new KeyedLock();
  return {
    subscriptions,
    commits,
    locks,
    apply: { ...h.app.processDeps, subscriptions, commits, locks, ...options },
  };
}
