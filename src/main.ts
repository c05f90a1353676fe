import { loadConfig } from './config/config';
import { classOf, isAppError } from './errors';
import { createLogger } from './logging/logger';
import { runWorker } from './run-worker';

/** The worker's entry point (`npm run worker`, the container's command); `billing-enforcer worker` runs the same. */
async function main(): Promise<number> {
  const config = loadConfig();
  return await runWorker(config, createLogger(config.LOG_LEVEL));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A setting to fix (CONFIG_INVALID, KAFKA_AUTH_FAILED: EX_CONFIG): the message names the settings, never a secret.
    if (isAppError(error) && error.code === 'CONFIG_INVALID') console.error(error.message);
    else if (isAppError(error) && error.code === 'KAFKA_AUTH_FAILED') console.error(`${error.code}: ${error.message}`);
    else console.error(error);
    process.exit(classOf(error).exit);
  },
);
