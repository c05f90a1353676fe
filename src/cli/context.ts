import pino from 'pino';
import type { Command } from 'commander';

import { loadSettings, type Settings } from '../config/config';
import { createLogger, type Logger } from '../logging/logger';
import { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { Output, type TextSink } from './output';
import type { ProgressStream } from './progress';
import { Services } from './services';

/** The process around the CLI, passed in so nothing below reads globals. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: () => number;
  /** Ends the process at once: only `worker` uses it, after a shutdown that may have left handles open. */
  readonly exit: (code: number) => void;
}

/** The real process's streams, environment and clock. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    clock: Date.now,
    exit: (code) => process.exit(code),
  };
}

/** The options every command takes. */
export interface GlobalFlags {
  readonly json: boolean;
  readonly verbose: boolean;
  /** `--api <url>`: go through the worker's HTTP API instead of the stores. */
  readonly api?: string;
  readonly token?: string;
}

/** What one command runs with: its flags, output, logger, settings and connections. */
export class CommandContext {
  readonly output: Output;
  /** Library and driver logs: JSON on stderr, silent unless --verbose. */
  readonly logger: Logger;
  readonly services: Services;

  constructor(
    readonly io: CliIo,
    readonly flags: GlobalFlags,
  ) {
    this.output = new Output(flags.json, io.stdout, io.stderr, io.clock);
    this.logger = createLogger(flags.verbose ? 'debug' : 'silent', { component: 'cli' }, pino.destination({ fd: 2, sync: true }));
    this.services = new Services(this.logger);
  }

  /**
   * The worker's HTTP API when the command was run with `--api`, else null (the command uses the stores directly). The
   * token is `--token`, else BILLING_ENFORCER_API_TOKEN, else ADMIN_TOKEN.
   */
  api(): ApiClient | null {
    if (this.flags.api === undefined) return null;
    const token = this.flags.token ?? this.io.env.BILLING_ENFORCER_API_TOKEN ?? this.io.env.ADMIN_TOKEN;
    if (token === undefined || token === '')
      throw new CliError('config', '--api needs a token: --token, or BILLING_ENFORCER_API_TOKEN (or ADMIN_TOKEN) in the environment');
    return new ApiClient(this.flags.api, token);
  }

  /** Only the settings this command needs, validated like the worker's (a missing one is named; exit 78). */
  settings<Key extends keyof Settings>(keys: readonly Key[]): Readonly<Pick<Settings, Key>> {
    return loadSettings(keys, this.io.env);
  }
}

/** Runs commands and remembers how the last one ended. */
export class Cli {
  exitCode: number = EXIT.ok;
  current: CommandContext | undefined;

  constructor(readonly io: CliIo) {}

  /**
   * Runs a command's body with a fresh context; what it returns is the exit code, its connections are closed whatever
   * happens. Only commands that say so (`api: true`) accept `--api`; the others need the stores themselves.
   */
  async run(
    command: Command,
    body: (context: CommandContext) => Promise<number | undefined>,
    options: { readonly api?: boolean } = {},
  ): Promise<void> {
    const flags = command.optsWithGlobals<{ json?: boolean; verbose?: boolean; api?: string; token?: string }>();
    const context = new CommandContext(this.io, {
      json: flags.json === true,
      verbose: flags.verbose === true,
      ...(flags.api === undefined ? {} : { api: flags.api }),
      ...(flags.token === undefined ? {} : { token: flags.token }),
    });
    this.current = context;
    if (flags.api !== undefined && options.api !== true) {
      this.exitCode = EXIT.usage;
      throw new CliError('usage', `${command.name()} works on the stores directly (MongoDB, Redis, Kafka); --api does not apply to it`);
    }
    try {
      this.exitCode = (await body(context)) ?? EXIT.ok;
    } finally {
      await context.services.close();
    }
  }
}
