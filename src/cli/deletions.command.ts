import { Command as CommandClass, Option, type Command } from 'commander';

import { STORE_SETTINGS } from '../storage/stores';
import { parseDuration, widestOf, type Subscription } from '../domain';
import { TenantPolicyRepository } from '../storage/tenant-policy.repository';
import { upcomingDeletions, upcomingWindowEnd } from '../use-cases/upcoming-deletions';
import { resolveWhen, when, wholeNumber, type When } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError } from './exit-codes';
import { iso, table } from './output';

interface UpcomingOptions {
  /** Absent: every pending deletion (the window the configured delay spans; the worker's, with --api). */
  readonly before?: When;
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
type Page = { readonly items: readonly Row[]; readonly next: string | null; readonly dueBefore: number };
type ApiPage = { readonly items: readonly Row[]; readonly next: string | null; readonly dueBefore: string };

/**
 * One page of upcoming deletions: from the API with `--api` (500 at most a page), else from MongoDB. Without `before`,
 * the window every pending deletion falls within: the worker's with --api (it answers where it stopped), else the one
 * DELETION_DELAY and LEGAL_HOLD_RELEASE_GRACE give here.
 */
async function pager(context: CommandContext, before: When | undefined): Promise<(limit: number, after?: string) => Promise<Page>> {
  const now = context.io.clock();
  const api = context.api();
  if (api !== null) {
    let dueBefore = before === undefined ? undefined : resolveWhen(before, now);
    return async (limit, after) => {
      const query = { ...(dueBefore === undefined ? {} : { dueBefore: iso(dueBefore) }), limit: Math.min(limit, 500), after };
      const page = await api.get<ApiPage>('/v1/deletions', query);
      // Later pages keep the first page's end, so a cursor walks one listing.
      dueBefore ??= Date.parse(page.dueBefore);
      return { items: page.items, next: page.next, dueBefore };
    };
  }
  const settings = context.settings(['MONGODB_URI', 'DELETION_DELAY', 'LEGAL_HOLD_RELEASE_GRACE', ...STORE_SETTINGS]);
  // Without --before: as far as the environment's policy, or any tenant's version, can put a pending deletion.
  const widest = async () => {
    const base = {
      deletionDelayMs: parseDuration(settings.DELETION_DELAY),
      legalHoldReleaseGraceMs: parseDuration(settings.LEGAL_HOLD_RELEASE_GRACE),
    };
    const { all } = await new TenantPolicyRepository(await context.services.mongo(settings.MONGODB_URI)).everyVersion();
    return widestOf(
      base,
      all.map((version) => version.override),
    );
  };
  const dueBefore = before === undefined ? upcomingWindowEnd(now, await widest()) : resolveWhen(before, now);
  const { subscriptions } = await context.services.stores(settings);
  return async (limit, after) => {
    const page = await upcomingDeletions(subscriptions, { dueBefore, limit, after }).catch((error: unknown) => {
      if (error instanceof RangeError) throw new CliError('usage', '--after: is not a cursor this command printed');
      throw error;
    });
    return { items: page.items.map((state: Subscription) => row(state)), next: page.next, dueBefore };
  };
}

async function listUpcoming(context: CommandContext, options: UpcomingOptions): Promise<number> {
  const readPage = await pager(context, options.before);
  const rows: Row[] = [];
  const shown = context.output.progress('deletions');
  let after = options.after;
  let next: string | null = null;
  let dueBefore = Number.NaN;
  do {
    const page = await readPage(Math.min(PAGE_SIZE, options.limit - rows.length), after);
    rows.push(...page.items);
    next = page.next;
    dueBefore = page.dueBefore;
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
      new Option(
        '--before <time>',
        'an RFC 3339 date-time, or a duration from now such as P7D (default: every pending deletion, as far ahead as DELETION_DELAY, or any tenant policy version, reaches)',
      ).argParser(when),
    )
    .option('--limit <n>', 'list at most this many', wholeNumber(1, 1_000_000), 1_000)
    .option('--after <cursor>', 'continue a listing where an earlier one stopped (the cursor it printed)')
    .action(async (options: UpcomingOptions, command: Command) => {
      await cli.run(command, (context) => listUpcoming(context, options), { api: true });
    });
  program.addCommand(deletions);
}
