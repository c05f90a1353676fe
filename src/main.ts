import { createApp } from './app';
import { loadConfig } from './config/config';
import { isAppError } from './errors';
import { createLogger, redactUrl } from './logging/logger';

const SHUTDOWN_TIMEOUT_MS = 25_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  if (config.DATA_COLLECTIONS.length === 0)
    logger.warn('DATA_COLLECTIONS is empty: deletions will only tombstone subscriptions, no data collection is purged');
  logger.info({ brokers: config.KAFKA_BROKERS, mongodb: redactUrl(config.MONGODB_URI), redis: redactUrl(config.REDIS_URL) }, 'starting');
  const app = await createApp(config, logger);
  await app.start();
  logger.info({ port: config.HTTP_PORT }, 'worker running');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timeout = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timeout.unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  if (isAppError(error) && error.code === 'CONFIG_INVALID') {
    console.error(error.message);
    process.exit(78);
  }
  console.error(error);
  process.exit(1);
});
