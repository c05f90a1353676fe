import type { PartitionLag } from '../kafka/offsets';

export interface LagSample {
  readonly at: number;
  readonly partitions: readonly PartitionLag[];
}

const HOUR_MS = 3_600_000;

/**
 * The last hour of consumer-lag readings, in a fixed ring kept in memory: enough for the console to draw a trend
 * without a time-series database. Each process keeps its own; a restart starts an empty hour.
 */
export class LagHistory {
  private readonly ring: (LagSample | undefined)[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<readonly PartitionLag[]>,
    private readonly intervalMs: number,
    private readonly clock: () => number = Date.now,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.ring = new Array<LagSample | undefined>(Math.ceil(HOUR_MS / intervalMs) + 1).fill(undefined);
  }

  /** Takes one reading now and keeps it; a failed reading is skipped (a gap in the trend), never thrown. */
  async sample(): Promise<void> {
    this.sampling ??= this.read()
      .then((partitions) => {
        this.ring[this.next] = { at: this.clock(), partitions };
        this.next = (this.next + 1) % this.ring.length;
      })
      .catch(this.onError)
      .finally(() => {
        this.sampling = undefined;
      });
    await this.sampling;
  }

  start(): void {
    if (this.timer !== undefined) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  /** The readings of the last hour, oldest first. */
  samples(): LagSample[] {
    const since = this.clock() - HOUR_MS;
    const ordered = [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.filter((sample): sample is LagSample => sample !== undefined && sample.at >= since);
  }
}

/** One partition's lag over the samples (a sample that lacks the partition gives no point). */
export function partitionSeries(samples: readonly LagSample[], topic: string, partition: number): { at: number; lag: number }[] {
  return samples.flatMap((sample) => {
    const row = sample.partitions.find((entry) => entry.topic === topic && entry.partition === partition);
    return row === undefined ? [] : [{ at: sample.at, lag: row.lag }];
  });
}
