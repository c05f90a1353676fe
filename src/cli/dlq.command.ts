import { readFileSync } from 'node:fs';

import { Command as CommandClass, InvalidArgumentError, Option, type Command } from 'commander';

import { DEAD_LETTER_ID, DeadLetterStore, type DeadLetterFilter, type DeadLetterView } from '../storage/dead-letter.repository';
import { replayRequest } from '../use-cases/dead-letter-replay';
import { INBOUND_SETTINGS, inboundTable } from '../use-cases/inbound-table';
import type { ApiClient } from './api-client';
import { operatorText, wholeNumber } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError, EXIT } from './exit-codes';
import { table } from './output';
import { KAFKA_SECURITY_SETTINGS } from '../config/kafka-security-settings';

interface FilterOptions {
  readonly code?: string;
  readonly sourceTopic?: string;
}

interface ListOptions extends FilterOptions {
  readonly status?: 'pending' | 'replayed';
  readonly limit: number;
  readonly after?: string;
  readonly withValues?: boolean;
}

interface ReplayOptions extends FilterOptions {
  readonly id?: string[];
  readonly all?: boolean;
  readonly force?: boolean;
  readonly actor?: string;
  readonly valueFile?: string;
  readonly dryRun?: boolean;
}

const PAGE_SIZE = 200;

function letterId(text: string, previous: string[] | undefined): string[] {
  if (!DEAD_LETTER_ID.test(text)) throw new InvalidArgumentError('must be a dead letter id, <partition>-<offset> (as `dlq list` shows)');
  return [...(previous ?? []), text];
}

function filterOf(options: FilterOptions & { status?: 'pending' | 'replayed'; id?: readonly string[] }): DeadLetterFilter {
  return {
    ...(options.code === undefined ? {} : { code: options.code }),
    ...(options.sourceTopic === undefined ? {} : { sourceTopic: options.sourceTopic }),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.id === undefined ? {} : { ids: options.id }),
  };
}

/** The listing leaves out whole values (up to 8 MiB each) unless asked: the preview is what a reader needs. */
function listed(letter: DeadLetterView, withValues: boolean) {
  if (withValues) return letter;
  const { value: _value, correctedValue: _correctedValue, corrections: _corrections, ...rest } = letter;
  return rest;
}

const cut = (text: string | null, width: number): string =>
  text === null ? '-' : text.length <= width ? text : `${text.slice(0, width - 1)}…`;

type Listed = ReturnType<typeof listed>;
interface LetterSource {
  count(filter: DeadLetterFilter): Promise<number>;
  page(filter: DeadLetterFilter, limit: number, after?: string): Promise<{ items: Listed[]; next: string | null }>;
}

/** The API's listing leaves the values out; `--with-values` reads each letter (`GET /v1/dlq/{id}`). */
function apiLetters(api: ApiClient, withValues: boolean): LetterSource {
  const query = (filter: DeadLetterFilter) => ({ code: filter.code, sourceTopic: filter.sourceTopic, status: filter.status });
  return {
    async count(filter) {
      return (await api.get<{ total: number }>('/v1/dlq', { ...query(filter), limit: 1 })).total;
    },
    async page(filter, limit, after) {
      const page = await api.get<{ items: Listed[]; next: string | null }>('/v1/dlq', {
        ...query(filter),
        limit: Math.min(limit, 500),
        after,
      });
      if (!withValues) return page;
      const items = await Promise.all(page.items.map((letter) => api.get<DeadLetterView>(`/v1/dlq/${encodeURIComponent(letter.id)}`)));
      return { items, next: page.next };
    },
  };
}

function storeLetters(store: DeadLetterStore, withValues: boolean): LetterSource {
  return {
    count: (filter) => store.count(filter),
    async page(filter, limit, after) {
      const page = await store.list(filter, { limit, ...(after === undefined ? {} : { after }) }).catch((error: unknown) => {
        if (error instanceof RangeError) throw new CliError('usage', '--after: is not a cursor this command printed');
        throw error;
      });
      return { items: page.items.map((letter) => listed(letter, withValues)), next: page.next };
    },
  };
}

async function list(context: CommandContext, options: ListOptions): Promise<number> {
  const api = context.api();
  const withValues = options.withValues === true;
  const source =
    api === null
      ? storeLetters(new DeadLetterStore(await context.services.mongo(context.settings(['MONGODB_URI']).MONGODB_URI)), withValues)
      : apiLetters(api, withValues);
  const filter = filterOf(options);
  const total = await source.count(filter);
  const items: Listed[] = [];
  const shown = context.output.progress('dead letters');
  let after = options.after;
  let next: string | null = null;
  do {
    const page = await source.page(filter, Math.min(PAGE_SIZE, options.limit - items.length), after);
    items.push(...page.items);
    next = page.next;
    after = page.next ?? undefined;
    shown.update(items.length, Math.min(total, options.limit));
  } while (next !== null && items.length < options.limit);
  shown.finish(`${items.length} listed`);
  context.output.result({ total, count: items.length, items, next }, () => [
    ...(items.length === 0
      ? []
      : table(
          ['ID', 'STATUS', 'CODE', 'SOURCE TOPIC', 'KEY', 'FAILED AT', 'REASON'],
          items.map((letter) => [
            letter.id,
            letter.status === 'replayed' ? `replayed×${letter.replayCount}` : 'pending',
            letter.code ?? '-',
            letter.sourceTopic ?? '-',
            cut(letter.key, 32),
            letter.failedAt ?? '-',
            cut(letter.reason, 80),
          ]),
        )),
    `${items.length} of ${total} dead letter${total === 1 ? '' : 's'} matching`,
    ...(next === null ? [] : [`more remain: continue with --after ${next}`]),
  ]);
  return 0;
}

/** Named letters must exist (exit 3), before anything is counted or sent. */
async function requireLetters(store: DeadLetterStore, ids: readonly string[]): Promise<void> {
  const found = new Set((await store.select({ ids })).map((letter) => letter.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw new CliError('notFound', `no dead letter ${missing.join(', ')}`);
}

async function replay(context: CommandContext, options: ReplayOptions): Promise<number> {
  const filters = options.id !== undefined || options.code !== undefined || options.sourceTopic !== undefined;
  if (!filters && options.all !== true)
    throw new CliError('usage', 'dlq replay: say what to replay: --id <id>..., --code, --source-topic, or --all for every dead letter');
  if (filters && options.all === true)
    throw new CliError('usage', 'dlq replay: --all replays every dead letter; it cannot be combined with a filter');
  const value = options.valueFile === undefined ? undefined : readValue(options.valueFile);
  const api = context.api();
  if (api !== null) return await replayViaApi(context, api, options, value);

  const settings = context.settings([
    'MONGODB_URI',
    'KAFKA_BROKERS',
    'KAFKA_CLIENT_ID',
    'KAFKA_PRODUCER_COMPRESSION',
    ...KAFKA_SECURITY_SETTINGS,
    ...INBOUND_SETTINGS,
  ]);
  const store = new DeadLetterStore(await context.services.mongo(settings.MONGODB_URI));
  const filter = filterOf(options);
  const force = options.force === true;
  if (options.id !== undefined) await requireLetters(store, options.id);
  if (options.dryRun === true) {
    const selected = await store.count(filter);
    const replayable = force ? selected : await store.count({ ...filter, status: 'pending' });
    context.output.result({ dryRun: true, selected, wouldReplay: replayable, alreadyReplayed: selected - replayable }, () => [
      `${selected} dead letter${selected === 1 ? '' : 's'} selected; ${replayable} would be replayed${force ? ' (--force)' : `, ${selected - replayable} already replayed`}`,
    ]);
    return 0;
  }

  const producer = await context.services.producer(settings);
  const shown = context.output.progress('replay');
  const actor = options.actor ?? context.io.env.USER ?? context.io.env.LOGNAME ?? 'cli';
  const { ids, ...fields } = filter;
  // The same use case as POST /v1/dlq/replay: a correction is decoded as the worker would, and only inbound topics are written.
  const answer = await replayRequest(
    { store, producer, clock: context.io.clock, decoder: inboundTable(settings).decoder },
    {
      force,
      actor,
      ...(ids === undefined ? {} : { ids }),
      filter: fields,
      ...(value === undefined ? {} : { value }),
      onProgress: (done, total) => {
        shown.update(done, total);
      },
    },
  );
  if (!answer.ok) throw new CliError(answer.status === 404 ? 'notFound' : 'refused', answer.message);
  const { ok: _ok, ...result } = answer;
  shown.finish(`${result.replayed} replayed, ${result.skipped} skipped, ${result.failed.length} failed`);
  context.output.result({ ...result, actor }, () => [
    `replayed ${result.replayed}, skipped ${result.skipped}, failed ${result.failed.length}${result.skipped > 0 && !force ? ' (already replayed ones are skipped unless --force; so are letters with no inbound source topic or no kept value)' : ''}`,
    ...result.failed.map((failure) => `failed ${failure.id}: ${failure.error}`),
  ]);
  // Letters the broker refused are not marked replayed: a script must see that not everything went.
  return result.failed.length === 0 ? 0 : EXIT.failure;
}

/** `POST /v1/dlq/replay`: the worker checks a corrected value as it would decode it, and sends the letters itself. */
async function replayViaApi(context: CommandContext, api: ApiClient, options: ReplayOptions, value: Buffer | undefined): Promise<number> {
  const filter = filterOf(options);
  const force = options.force === true;
  const { ids, ...fields } = filter;
  if (options.dryRun === true) {
    const letters = apiLetters(api, false);
    const selected = ids === undefined ? await letters.count(fields) : ids.length;
    const replayable = force || ids !== undefined ? selected : await letters.count({ ...fields, status: 'pending' });
    context.output.result({ dryRun: true, selected, wouldReplay: replayable, alreadyReplayed: selected - replayable }, () => [
      `${selected} dead letter${selected === 1 ? '' : 's'} selected; ${replayable} would be replayed${force ? ' (--force)' : ''}`,
    ]);
    return 0;
  }
  const actor = options.actor ?? context.io.env.USER ?? context.io.env.LOGNAME ?? 'cli';
  const result = await api.post<{ replayed: number; skipped: number }>('/v1/dlq/replay', {
    actor,
    force,
    ...(options.all === true ? { all: true } : {}),
    ...(ids === undefined ? {} : { ids }),
    ...(Object.keys(fields).length === 0 ? {} : { filter: fields }),
    ...(value === undefined ? {} : { value: value.toString('utf8') }),
  });
  context.output.result({ ...result, actor }, () => [
    `replayed ${result.replayed}, skipped ${result.skipped}${result.skipped > 0 && !force ? ' (already replayed ones are skipped unless --force)' : ''}`,
  ]);
  return 0;
}

function readValue(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CliError('usage', `--value-file: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `dlq list|replay`: the dead letters the worker indexed in MongoDB, and sending them back to their source topics. */
export function registerDlq(program: Command, cli: Cli): void {
  const group = new CommandClass('dlq').description('dead letters: list them, replay them to their source topics');
  group
    .command('list')
    .description('list dead letters in dead-letter topic order')
    .option('--code <code>', 'only this error code (SCHEMA_VIOLATION, INVALID_JSON, ...)')
    .option('--source-topic <topic>', 'only letters from this topic')
    .addOption(new Option('--status <status>', 'only pending or only replayed letters').choices(['pending', 'replayed']))
    .option('--limit <n>', 'list at most this many', wholeNumber(1, 100_000), 50)
    .option('--after <cursor>', 'continue a listing where an earlier one stopped (the cursor it printed)')
    .option('--with-values', 'include whole values (base64) in --json output, not only the preview')
    .action(async (options: ListOptions, command: Command) => {
      await cli.run(command, (context) => list(context, options), { api: true });
    });
  group
    .command('replay')
    .description(
      'send dead letters back to their source topics (original key, value and headers); one of --id, a filter or --all is required',
    )
    .option('--id <id...>', 'these dead letters (ids as `dlq list` shows them)', letterId)
    .option('--code <code>', 'letters with this error code')
    .option('--source-topic <topic>', 'letters from this topic')
    .option('--all', 'every dead letter (not combinable with a filter)')
    .option('--force', 'replay letters already replayed too')
    .option('--actor <name>', 'who replays (recorded on the letters and in the dlq.replayed-by header); default $USER', operatorText)
    .option('--value-file <path>', 'replay exactly one letter with this corrected value instead of the original')
    .option('--dry-run', 'only count what would be replayed')
    .action(async (options: ReplayOptions, command: Command) => {
      await cli.run(command, (context) => replay(context, options), { api: true });
    });
  program.addCommand(group);
}
