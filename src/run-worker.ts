import { eventTypes } from '../consumers/routes';
import { createApp } from './app';
import type { Config } from './config/config';
import { redactUrl, type Logger } from './logging/logger';
import { PrometheusMetrics } from './metrics/prometheus';

const SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * Runs the whole worker until SIGTERM or SIGINT, then stops it gracefully. Resolves with the exit code the process
 * should end with: 0 after a clean stop, 1 when stopping failed or took longer than 25 s. The caller exits the
 * process, since a stop that hung may leave handles open.
 */
export async function runWorker(config: Readonly<Config>, logger: Logger): Promise<number> {
  if (config.DATA_COLLECTIONS.length === 0)
    logger.warn('DATA_COLLECTIONS is empty: deletions will only tombstone subscriptions, no data collection is purged');
  const signing = config.certificateKeys.signing;
  if (signing === null) logger.warn('DELETION_SIGNING_KEY_FILE is not set: deletions will leave no signed certificate');
  else logger.info({ keyId: signing.keyId, verifiableKeys: config.certificateKeys.publicKeys.size }, 'deletion certificates signed');
  logger.info({ brokers: config.KAFKA_BROKERS, mongodb: redactUrl(config.MONGODB_URI), redis: redactUrl(config.REDIS_URL) }, 'starting');
  const metrics = new PrometheusMetrics({ eventTypes, logger: logger.child({ component: 'metrics' }) });
  const app = await createApp(config, logger, Date.now, metrics);
  try {
    await app.start();
  } catch (error) {
    // A start that failed half-way (the HTTP port taken, say) must not leave the consumer and timers running.
    logger.error({ err: error }, 'start-up failed; stopping what had started');
    await app.stop().catch((stopError: unknown) => logger.error({ err: stopError }, 'stopping after a failed start-up failed'));
    throw error;
  }
  logger.info({ port: config.HTTP_PORT }, 'worker running');

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const timeout = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        resolve(1);
      }, SHUTDOWN_TIMEOUT_MS);
      timeout.unref();
      app.stop().then(
        () => {
          clearTimeout(timeout);
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(timeout);
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  });
}
