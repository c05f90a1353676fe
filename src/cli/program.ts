import { Command, CommanderError } from 'commander';

import { version } from '../../package.json';

import { escapeControls, escapeJsonText } from '../control-characters';
import { Cli, type CliIo } from './context';
import { registerAudit } from './audit.command';
import { registerCertificate } from './certificate.command';
import { registerDeletions } from './deletions.command';
import { registerDlq } from './dlq.command';
import { EXIT, failureOf } from './exit-codes';
import { registerLegalHold } from './legal-hold.command';
import { redactText } from './output';
import { registerPartitions } from './partitions.command';
import { registerPolicy } from './policy.command';
import { registerReconcile } from './reconcile.command';
import { registerStatus } from './status.command';
import { registerWorker } from './worker.command';

const EXIT_CODES_HELP = `
Exit codes:
  0   ok
  1   unexpected failure (run again with --verbose for the stack trace)
  2   usage error
  3   not found (subscription, dead letter)
  4   refused in the current state (legal hold already set, none to release, ...)
  5   not verified (a deletion certificate or an audit chain; what failed is printed)
  69  a service (MongoDB, Redis, Kafka) is unavailable
  78  bad configuration (the variable is named)

Settings come from the same environment variables as the worker (docs/configuration.md);
each command asks only for those it uses.`;

/** Adds commands that are not the product's (the local stack's, from tools/stack) to a program built here. */
export type Extension = (program: Command, cli: Cli) => void;

function buildProgram(cli: Cli, extensions: readonly Extension[]): Command {
  const program = new Command('billing-enforcer')
    .description('Operate billing-enforcer: the worker, subscriptions, deletions, legal holds, dead letters, partitions.')
    .version(version)
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--verbose', 'log what the drivers do (stderr) and show stack traces of failures')
    .option(
      '--api <url>',
      "go through the worker's HTTP API (status, legal-hold, deletions, dlq, partitions): no database credentials needed",
    )
    .option(
      '--token <token>',
      'the API token for --api (default: $BILLING_ENFORCER_API_TOKEN, else $ADMIN_TOKEN; visible to ps, prefer the variable)',
    )
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({
      writeOut: (text) => cli.io.stdout.write(text),
      writeErr: (text) => cli.io.stderr.write(text),
    })
    .exitOverride();
  registerWorker(program, cli);
  registerStatus(program, cli);
  registerDeletions(program, cli);
  registerLegalHold(program, cli);
  registerDlq(program, cli);
  registerPartitions(program, cli);
  registerPolicy(program, cli);
  registerReconcile(program, cli);
  registerCertificate(program, cli);
  registerAudit(program, cli);
  for (const extend of extensions) extend(program, cli);
  // Command groups are built on their own and added, so nothing was inherited: give every subcommand the program's
  // output streams, help layout and error handling (a usage error anywhere exits 2).
  (function inherit(parent: Command): void {
    for (const command of parent.commands) {
      command.copyInheritedSettings(parent);
      inherit(command);
    }
  })(program);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and the script) and resolves with the exit code. Failures are reported on
 * stderr without stack traces (unless --verbose) and with credentials removed from any URL; under --json, stdout
 * still gets one document: `{"error": {"kind", "exitCode", "message"}}`.
 */
export async function runCli(argv: readonly string[], io: CliIo, extensions: readonly Extension[] = []): Promise<number> {
  const cli = new Cli(io);
  const program = buildProgram(cli, extensions);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are exits, not errors; anything else commander refuses is a usage error it has already explained.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return EXIT.ok;
      if (argv.includes('--json')) writeJsonError(io, 'usage', error.message.replace(/^error: /, ''));
      return EXIT.usage;
    }
    const kind = failureOf(error);
    const verbose = cli.current?.flags.verbose ?? argv.includes('--verbose');
    const message = redactText(error instanceof Error ? error.message : String(error));
    io.stderr.write(`billing-enforcer: ${escapeControls(message)}\n`);
    if (verbose) {
      for (let cause: unknown = error; cause instanceof Error; cause = cause.cause)
        io.stderr.write(
          `${redactText(cause.stack ?? cause.message)
            .split('\n')
            .map(escapeControls)
            .join('\n')}\n`,
        );
    } else if (kind === 'failure') {
      io.stderr.write('(run again with --verbose for the stack trace)\n');
    }
    if (cli.current?.flags.json ?? argv.includes('--json')) writeJsonError(io, kind, message);
    return EXIT[kind];
  }
}

function writeJsonError(io: CliIo, kind: keyof typeof EXIT, message: string): void {
  io.stdout.write(`${escapeJsonText(JSON.stringify({ error: { kind, exitCode: EXIT[kind], message } }, null, 2))}\n`);
}
