import type { PartitionLag } from '../../kafka/offsets';
import type { LagHistory } from '../../metrics/lag-history';

/** What the console reads besides the stores: consumer lag now and over the last hour. */
export interface ConsoleSources {
  readonly consumerLag: () => Promise<readonly PartitionLag[]>;
  readonly lagHistory: LagHistory;
}
