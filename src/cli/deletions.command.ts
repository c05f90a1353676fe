import { Command as CommandClass, Option, type Command } from 'commander';

import { STORE_SETTINGS } from '../storage/stores';
import type { Subscription } from '../domain';
import { upcomingDeletions } from '../use-cases/upcoming-deletions';
import { resolveWhen, when, wholeNumber, type When } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError } from './exit-codes';
import { iso, table } from './output';

interface UpcomingOptions {
  readonly before: When;
  readonly limit: number;
  readonly after?: string;
}

const PAGE_SIZE = 500;

function row(state: Subscription) {
  return {
    subscriptionId: state.subscriptionId,
    tenantId: state.tenantId,
    customerId: state.customerId,
    status: state.status,
    dueAt: state.deletion === null ? null : iso(state.deletion.dueAt),
    inProgress: state.deletion?.claimedAt != null,
    legalHold: state.legalHold !== null,
  };
}

type Row = ReturnType<typeof row>;
type Page = { readonly items: readonly Row[]; readonly next: string | null };

/** One page of upcoming deletions: from the API with `--api` (500 at most a page), else from MongoDB. */
async function pager(context: CommandContext, dueBefore: number): Promise<(limit: number, after?: string) => Promise<Page>> {
  const api = context.api();
  if (api !== null)
    return (limit, after) => api.get<Page>('/v1/deletions', { dueBefore: iso(dueBefore), limit: Math.min(limit, 500), after });
  const settings = context.settings(['MONGODB_URI', ...STORE_SETTINGS]);
  const { subscriptions } = await context.services.stores(settings);
  return async (limit, after) => {
    const page = await upcomingDeletions(subscriptions, { dueBefore, limit, after }).catch((error: unknown) => {
      if (error instanceof RangeError) throw new CliError('usage', '--after: is not a cursor this command printed');
      throw error;
    });
    return { items: page.items.map((state: Subscription) => row(state)), next: page.next };
  };
}

async function listUpcoming(context: CommandContext, options: UpcomingOptions): Promise<number> {
  const dueBefore = resolveWhen(options.before, context.io.clock());
  const readPage = await pager(context, dueBefore);
  const rows: Row[] = [];
  const shown = context.output.progress('deletions');
  let after = options.after;
  let next: string | null = null;
  do {
    const page = await readPage(Math.min(PAGE_SIZE, options.limit - rows.length), after);
    rows.push(...page.items);
    next = page.next;
    after = page.next ?? undefined;
    shown.update(rows.length);
  } while (next !== null && rows.length < options.limit);
  shown.finish(`${rows.length} listed`);
  context.output.result({ dueBefore: iso(dueBefore), count: rows.length, items: rows, next }, () => [
    ...(rows.length === 0
      ? []
      : table(
          ['DUE', 'SUBSCRIPTION', 'TENANT', 'CUSTOMER', 'STATUS', 'NOTE'],
          rows.map((item) => [
            item.dueAt ?? '-',
            item.subscriptionId,
            item.tenantId,
            item.customerId,
            item.status,
            [item.legalHold ? 'legal hold (will not delete)' : '', item.inProgress ? 'deleting now' : ''].filter(Boolean).join(', '),
          ]),
        )),
    `${rows.length} deletion${rows.length === 1 ? '' : 's'} due before ${iso(dueBefore)}`,
    ...(next === null ? [] : [`more remain: continue with --after ${next}`]),
  ]);
  return 0;
}

/** `deletions upcoming`: pending deletions, soonest first, across as many pages as it takes. */
export function registerDeletions(program: Command, cli: Cli): void {
  const deletions = new CommandClass('deletions').description('pending data deletions');
  deletions
    .command('upcoming')
    .description('list the subscriptions whose data deletion is due before a time, soonest first')
    .addOption(
      new Option('--before <time>', 'an RFC 3339 date-time, or a duration from now such as P7D')
        .argParser(when)
        .default(when('P60D'), 'P60D'),
    )
    .option('--limit <n>', 'list at most this many', wholeNumber(1, 1_000_000), 1_000)
    .option('--after <cursor>', 'continue a listing where an earlier one stopped (the cursor it printed)')
    .action(async (options: UpcomingOptions, command: Command) => {
      await cli.run(command, (context) => listUpcoming(context, options), { api: true });
    });
  program.addCommand(deletions);
}
