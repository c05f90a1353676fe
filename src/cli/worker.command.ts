import type { Command } from 'commander';

import { loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import type * as WorkerModule from '../run-worker';
import type { Cli, CommandContext } from './context';

async function worker(context: CommandContext): Promise<number> {
  // The worker needs every setting: the full configuration, validated as at any start-up.
  const config = loadConfig(context.io.env);
  // Loaded here, not at the top: the whole worker (HTTP server, Bull Board, ...) would slow every other command's start.
  // require, not import(): the CLI is CommonJS, and tsx's in-process loader (bin/billing-enforcer) hooks require only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runWorker } = require('../run-worker') as typeof WorkerModule;
  // Its logs are its output: JSON lines on stdout, as when it runs from src/main.ts.
  const code = await runWorker(config, createLogger(context.flags.verbose ? 'debug' : config.LOG_LEVEL));
  context.io.exit(code);
  return code;
}

/** `worker`: the worker itself (consumer, timers, HTTP API) until SIGTERM or SIGINT. */
export function registerWorker(program: Command, cli: Cli): void {
  program
    .command('worker')
    .description('run the worker (Kafka consumer, timer jobs, HTTP API) until SIGTERM or SIGINT; logs JSON lines on stdout')
    .action(async (_options: unknown, command: Command) => {
      await cli.run(command, worker);
    });
}
