import type { Command } from 'commander';

import { REDIS_SETTINGS } from '../config/redis-settings';
import { STORE_SETTINGS } from '../storage/stores';
import { reconcile } from '../use-cases/reconcile';
import { redactUrl } from '../logging/logger';
import { SUBSCRIPTIONS } from '../storage/subscription.repository';
import { CliError } from './exit-codes';
import { wholeNumber } from './arguments';
import type { Progress } from './progress';
import type { Cli, CommandContext } from './context';

interface ReconcileOptions {
  readonly pageSize: number;
}

async function runReconcile(context: CommandContext, options: ReconcileOptions): Promise<number> {
  const settings = context.settings(['MONGODB_URI', ...STORE_SETTINGS, ...REDIS_SETTINGS, 'QUEUE_PREFIX', 'TIMER_QUEUE']);
  const connection = await context.services.mongo(settings.MONGODB_URI);
  // Pointed at the wrong database, the reconciler would take every timer job in the queue for an orphan and remove it.
  const collections = (await connection.db?.listCollections({ name: SUBSCRIPTIONS }, { nameOnly: true }).toArray()) ?? [];
  if (collections.length === 0) {
    throw new CliError(
      'refused',
      `the database of MONGODB_URI (${redactUrl(settings.MONGODB_URI)}) has no ${SUBSCRIPTIONS} collection: is it the worker's? ` +
        `Reconciling against it would remove every timer job of queue ${settings.QUEUE_PREFIX}:${settings.TIMER_QUEUE} as an orphan.`,
    );
  }
  const { subscriptions } = await context.services.stores(settings);
  const queue = await context.services.queue(settings);
  const labels = { subscriptions: 'subscriptions with a timer', jobs: 'pending timer jobs' } as const;
  let shown: { phase: keyof typeof labels; scanned: number; progress: Progress } | undefined;
  const report = await reconcile(
    { subscriptions, queue, clock: context.io.clock, logger: context.logger },
    {
      pageSize: options.pageSize,
      onProgress: (phase, scanned) => {
        if (shown?.phase !== phase) {
          shown?.progress.finish(`${shown.scanned} scanned`);
          shown = { phase, scanned, progress: context.output.progress(labels[phase]) };
        }
        shown.scanned = scanned;
        shown.progress.update(scanned);
      },
    },
  );
  shown?.progress.finish(`${shown.scanned} scanned`);
  context.output.result(report, () => [
    `scanned ${report.subscriptionsScanned} subscriptions with a timer and ${report.jobsScanned} pending jobs`,
    `missing jobs scheduled:   ${report.missing} (of which overdue deletions queued to run now: ${report.overdueMissing})`,
    `jobs re-timed:            ${report.wrongTime}`,
    `orphan jobs removed:      ${report.orphans}`,
    `failed jobs left alone:   ${report.failed}${report.failed > 0 ? ' (inspect and retry them in Bull Board)' : ''}`,
  ]);
  return 0;
}

/** `reconcile`: one pass of the reconciler, now, instead of waiting for the hourly job. */
export function registerReconcile(program: Command, cli: Cli): void {
  program
    .command('reconcile')
    .description("bring Redis's timer jobs back in line with MongoDB once (what the hourly job does)")
    .option('--page-size <n>', 'subscriptions and jobs read per round trip', wholeNumber(1, 10_000), 1_000)
    .action(async (options: ReconcileOptions, command: Command) => {
      await cli.run(command, (context) => runReconcile(context, options));
    });
}
