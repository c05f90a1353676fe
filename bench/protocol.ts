import type { MemoryReport } from './memory';
import type { MongoWork } from './mongo-work';

/** What a benchmark child process tells the orchestrator over the IPC channel. */
export type ChildMessage =
  | { readonly kind: 'ready' }
  /** Messages handled so far and when the last one became durable (epoch ms). */
  | { readonly kind: 'progress'; readonly count: number; readonly lastDoneAt: number }
  /** Per-message latency from the Kafka record timestamp to durable, in ms; the limit sends its elapsed time instead. */
  | {
      readonly kind: 'result';
      readonly latenciesMs: readonly number[];
      readonly startedAt: number;
      readonly lastDoneAt: number;
      readonly count: number;
      /** What the child asked of MongoDB, from the driver's command monitoring (bench/mongo-work.ts). */
      readonly mongo: MongoWork;
      /** process.memoryUsage() from ready to the finish request (bench/memory.ts). */
      readonly memory: MemoryReport;
    };

/** What the orchestrator asks of a child: report and stop. */
export interface FinishRequest {
  readonly kind: 'finish';
}

export function isChildMessage(value: unknown): value is ChildMessage {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  return kind === 'ready' || kind === 'progress' || kind === 'result';
}

/** Counts handled messages and their latencies in the child; reports progress every `everyMs` while it runs. */
export class LatencyRecorder {
  private latencies: number[] = [];
  private count = 0;
  private lastDoneAt = 0;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: (message: ChildMessage) => void) {}

  /** One message became durable now; `producedAt` is its Kafka record timestamp. */
  record(producedAt: number, doneAt = Date.now()): void {
    this.count++;
    this.lastDoneAt = Math.max(this.lastDoneAt, doneAt);
    if (Number.isFinite(producedAt) && producedAt > 0) this.latencies.push(doneAt - producedAt);
  }

  start(everyMs = 250): void {
    this.timer = setInterval(() => {
      this.send({ kind: 'progress', count: this.count, lastDoneAt: this.lastDoneAt });
    }, everyMs);
  }

  /** The report, less what the child adds of its own (its MongoDB tally and memory). */
  result(): Omit<Extract<ChildMessage, { kind: 'result' }>, 'mongo' | 'memory'> {
    clearInterval(this.timer);
    const latenciesMs = this.latencies;
    this.latencies = [];
    return { kind: 'result', latenciesMs, startedAt: this.startedAt, lastDoneAt: this.lastDoneAt, count: this.count };
  }
}

/** Sends over IPC, resolving once the message is handed to the channel (a large result must be flushed before exiting). */
export function sendToParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Calls `finish` when the orchestrator asks, then exits. */
export function onFinishRequest(finish: () => Promise<void>): void {
  process.on('message', (message: unknown) => {
    if ((message as Partial<FinishRequest> | null)?.kind !== 'finish') return;
    finish().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
