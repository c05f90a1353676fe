import type { UndecodableCause } from './undecodable-batch';

/**
 * Why a consumer is not making progress. `retrying`: a partition's slices keep failing (a dependency away, a message
 * being isolated); the batch causes: a record batch the client cannot decode; `crash-loop`: the client crashed below
 * our handler and has not fetched since; `no-progress`: an assigned partition has lag and its committed offset has
 * not moved, whatever the reason (the catch-all for causes nobody foresaw).
 */
export type StallCause = 'retrying' | UndecodableCause | 'crash-loop' | 'no-progress';

export interface ConsumerProblem {
  readonly consumer: string;
  readonly cause: StallCause;
  /** null for the whole consumer (a crash loop). */
  readonly topic: string | null;
  readonly partition: number | null;
  /** Where the partition is held: the first offset it cannot pass, when known. */
  readonly offset: string | null;
  /** The last offset of the batch it cannot pass, when known (what `partitions skip` must cover). */
  readonly lastOffset: string | null;
  readonly sinceMs: number;
  /** What the client or the decoder said, one line; never message bytes. */
  readonly detail: string;
}

interface Progress {
  readonly committed: number;
  readonly since: number;
}

/** A reading of one partition: where the group resumes, and how far behind the log end that is. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly committed: number;
  readonly lag: number;
}

/**
 * Watches the positions of the partitions a consumer owns: one whose committed offset stays put while it has lag,
 * for `stallAfterMs`, is stalled. Fed by periodic readings; it keeps no timer of its own.
 */
export class ProgressWatch {
  private readonly progress = new Map<string, Progress>();

  constructor(
    private readonly stallAfterMs: number,
    private readonly clock: () => number,
  ) {}

  /** Records a reading of the partitions `owned` (others are forgotten: another member answers for them). */
  observe(positions: readonly PartitionPosition[], owned: (topic: string, partition: number) => boolean): void {
    const now = this.clock();
    const seen = new Set<string>();
    for (const position of positions) {
      const key = `${position.topic}/${position.partition}`;
      if (!owned(position.topic, position.partition) || position.lag <= 0) continue;
      seen.add(key);
      const before = this.progress.get(key);
      if (before === undefined || before.committed !== position.committed)
        this.progress.set(key, { committed: position.committed, since: now });
    }
    for (const key of [...this.progress.keys()]) if (!seen.has(key)) this.progress.delete(key);
  }

  stalled(consumer: string): ConsumerProblem[] {
    const now = this.clock();
    const problems: ConsumerProblem[] = [];
    for (const [key, { committed, since }] of this.progress) {
      if (now - since < this.stallAfterMs) continue;
      const at = key.lastIndexOf('/');
      problems.push({
        consumer,
        cause: 'no-progress',
        topic: key.slice(0, at),
        partition: Number(key.slice(at + 1)),
        offset: committed < 0 ? null : String(committed),
        lastOffset: null,
        sinceMs: now - since,
        detail: `committed offset ${committed} has not moved for ${Math.round((now - since) / 1000)} s while the partition has lag`,
      });
    }
    return problems;
  }
}

/** Error names label a metric: kafkajs's are a closed set; anything else is counted under its class, bounded. */
export function crashCause(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : 'Error';
}
