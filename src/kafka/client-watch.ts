import type { Consumer } from 'kafkajs';

import type { Logger } from '../logging/logger';
import { partitionBackoffMs } from '../retry-policies';
import { crashCause, type ConsumerProblem } from './consumer-health';

interface Crash {
  readonly cause: string;
  readonly detail: string;
  readonly since: number;
}

export interface ClientWatchOptions {
  readonly name: string;
  readonly backoffMaxMs: number;
  readonly observer?: { consumerCrashed(consumer: string, cause: string, restart: boolean): void };
  /** Whether the runner still runs: a crash after its stop is not relaunched. */
  readonly running: () => boolean;
  /** Connects, subscribes and runs the client again. */
  readonly relaunch: () => Promise<void>;
  /** The partitions the group gave this member (`topic/partition`), at each join. */
  readonly assigned: (keys: ReadonlySet<string>) => void;
}

/**
 * What the Kafka client reports about itself, below our handler, through its events. A crash is a problem until the
 * client fetches again, counted by cause and logged once per cause. kafkajs restarts a consumer that crashed on a
 * retriable error and leaves one that crashed on any other stopped for good (a join the broker refuses, a bug below
 * our handler): a worker that silently stops enforcing. This relaunches it after a backoff instead.
 */
export class ClientWatch {
  private crash: Crash | undefined;
  private relaunches = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    consumer: Consumer,
    private readonly options: ClientWatchOptions,
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {
    const { CRASH, FETCH, GROUP_JOIN } = consumer.events;
    consumer.on(CRASH, ({ payload }) => {
      const cause = crashCause(payload.error);
      const relaunch = !payload.restart && options.running();
      options.observer?.consumerCrashed(options.name, cause, payload.restart || relaunch);
      if (this.crash?.cause !== cause) {
        logger.error(
          { err: payload.error, runner: options.name, cause, restart: payload.restart || relaunch },
          'consumer crashed below the handler',
        );
      }
      if (relaunch) this.relaunchLater();
      const detail = `${cause}: ${payload.error.message}`.slice(0, 500);
      this.crash = { cause, detail, since: this.crash?.since ?? clock() };
    });
    consumer.on(FETCH, () => {
      if (this.crash === undefined) return;
      logger.info({ runner: options.name, cause: this.crash.cause }, 'consumer fetching again after a crash');
      this.crash = undefined;
      this.relaunches = 0;
    });
    consumer.on(GROUP_JOIN, ({ payload }) => {
      options.assigned(
        new Set(
          Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => `${topic}/${partition}`)),
        ),
      );
    });
  }

  /** The crash the client has not recovered from, as a problem of the whole consumer; null when there is none. */
  problem(): ConsumerProblem | null {
    if (this.crash === undefined) return null;
    return {
      consumer: this.options.name,
      cause: 'crash-loop',
      topic: null,
      partition: null,
      offset: null,
      lastOffset: null,
      sinceMs: this.clock() - this.crash.since,
      detail: this.crash.detail,
    };
  }

  /** Cancels a relaunch that is waiting. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private relaunchLater(): void {
    this.relaunches += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (!this.options.running()) return;
        this.options.relaunch().catch((error: unknown) => {
          this.logger.warn({ err: error, runner: this.options.name }, 'consumer relaunch failed; will retry');
          this.relaunchLater();
        });
      },
      partitionBackoffMs(this.relaunches, this.options.backoffMaxMs),
    );
  }
}
