import pino from 'pino';
import type { Command } from 'commander';

import { loadSettings, type Settings } from '../config/config';
import { createLogger, type Logger } from '../logging/logger';
import { EXIT } from './exit-codes';
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

  /** Runs a command's body with a fresh context; what it returns is the exit code, its connections are closed whatever happens. */
  async run(command: Command, body: (context: CommandContext) => Promise<number | undefined>): Promise<void> {
    const options = command.optsWithGlobals<{ json?: boolean; verbose?: boolean }>();
    const context = new CommandContext(this.io, { json: options.json === true, verbose: options.verbose === true });
    this.current = context;
    try {
      this.exitCode = (await body(context)) ?? EXIT.ok;
    } finally {
      await context.services.close();
    }
  }
}
