import { eventTypes } from '../consumers/routes';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';
import type { ConsumeOutcome, Metrics } from '../src/metrics/metrics';
import { PrometheusMetrics } from '../src/metrics/prometheus';
import { watchMemory } from './memory';
import { watchCommands } from './mongo-work';
import { LatencyRecorder, onFinishRequest, sendToParent } from './protocol';

/**
 * The real worker (createApp, configured from the environment like src/main.ts) in its own process, so its RSS is its
 * own. Per-message "applied" times come from the worker's own latency metric, which it reports once a slice's state,
 * effects and dead letters are durable; this wrapper only keeps the samples besides passing them on.
 */
class RecordingMetrics implements Metrics {
  constructor(
    private readonly inner: Metrics,
    private readonly recorder: LatencyRecorder,
  ) {}
  eventConsumed(topic: string, type: string, outcome: ConsumeOutcome): void {
    this.inner.eventConsumed(topic, type, outcome);
  }
  eventLatency(topic: string, seconds: number): void {
    this.inner.eventLatency(topic, seconds);
    const doneAt = Date.now();
    this.recorder.record(doneAt - seconds * 1000, doneAt);
  }
  deletionExecuted(collections: readonly { collection: string; deleted: number }[]): void {
    this.inner.deletionExecuted(collections);
  }
  reminderSent(): void {
    this.inner.reminderSent();
  }
  reconciliationDrift(kind: string, count: number): void {
    this.inner.reconciliationDrift(kind, count);
  }
  leaseWaited(seconds: number): void {
    this.inner.leaseWaited(seconds);
  }
  leaseLost(count: number): void {
    this.inner.leaseLost(count);
  }
  identityMismatch(): void {
    this.inner.identityMismatch();
  }
  timerJobFailed(job: string, final: boolean): void {
    this.inner.timerJobFailed(job, final);
  }
  accessRequest(route: string, statusCode: number, seconds: number): void {
    this.inner.accessRequest(route, statusCode, seconds);
  }
  consumerCrashed(consumer: string, cause: string, restart: boolean): void {
    this.inner.consumerCrashed(consumer, cause, restart);
  }
  batchUndecodable(topic: string, cause: string, outcome: 'stalled' | 'dead-lettered' | 'skipped'): void {
    this.inner.batchUndecodable(topic, cause, outcome);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const recorder = new LatencyRecorder((message) => void sendToParent(message));
  const metrics = new RecordingMetrics(new PrometheusMetrics({ eventTypes, logger }), recorder);
  const app = await createApp(config, logger, Date.now, metrics);
  // The variant sets monitorCommands=true in MONGODB_URI: tally what the worker asks of MongoDB.
  const mongoWork = watchCommands(app.connection);
  // Idle is before start: with a backlog waiting, the consumer is busy from its first fetch.
  const memory = watchMemory();
  await app.start();
  recorder.start();
  onFinishRequest(async () => {
    await sendToParent({ ...recorder.result(), mongo: mongoWork(), memory: memory.stop() });
    await app.stop();
  });
  await sendToParent({ kind: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
