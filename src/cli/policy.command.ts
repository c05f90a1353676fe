import { Argument, Command as CommandClass, type Command } from 'commander';

import type { previewView, versionView } from '../http/policy.routes';
import { subscriptionId, operatorText, wholeNumber } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError } from './exit-codes';
import { table } from './output';

/** What `policy list` and `show` print: the API's answer. */
type VersionBody = ReturnType<typeof versionView>;
type ListBody = { tenantId: string; current: VersionBody['effective']; environment: VersionBody['effective']; versions: VersionBody[] };
type PreviewBody = ReturnType<typeof previewView>;

interface DraftOptions {
  readonly delay?: string;
  readonly reminders?: string;
  readonly grace?: string;
  readonly fraudThreshold?: number;
  readonly applyToPending?: boolean;
  readonly limit?: number;
  readonly reason?: string;
  readonly actor?: string;
}

const ONLY_THROUGH_API = 'policy commands run through the worker, which re-plans timers and tells customers: pass --api <url>';

function apiOf(context: CommandContext) {
  const api = context.api();
  if (api === null) throw new CliError('usage', ONLY_THROUGH_API);
  return api;
}

/** The draft from the options; the API validates it (one schema, policyOverrideSchema) and says what is wrong. */
function draftOf(options: DraftOptions): Record<string, unknown> {
  return {
    ...(options.delay === undefined ? {} : { deletionDelay: options.delay }),
    ...(options.reminders === undefined
      ? {}
      : { deletionReminders: options.reminders === 'none' ? [] : options.reminders.split(',').map((item) => item.trim()) }),
    ...(options.grace === undefined ? {} : { legalHoldReleaseGrace: options.grace }),
    ...(options.fraudThreshold === undefined ? {} : { fraudScoreThreshold: options.fraudThreshold }),
  };
}

const describe = (policy: VersionBody['effective']): string =>
  `v${policy.version}: delay ${policy.deletionDelay}, reminders ${policy.deletionReminders.join(',') || 'none'}, grace ${policy.legalHoldReleaseGrace}, fraud threshold ${policy.fraudScoreThreshold}`;

async function list(context: CommandContext, tenantId: string): Promise<number> {
  const body = await apiOf(context).get<ListBody>(`/v1/tenants/${encodeURIComponent(tenantId)}/policy`);
  context.output.result(body, () => [
    `tenant ${tenantId}: in force ${describe(body.current)}`,
    `environment default ${describe(body.environment)}`,
    ...(body.versions.length === 0
      ? ['no versions of its own: the environment default applies']
      : table(
          ['VERSION', 'CREATED', 'ACTOR', 'PENDING', 'POLICY', 'REASON'],
          body.versions.map((version) => [
            String(version.version),
            version.createdAt,
            version.actor,
            version.applyToPending ? 'applied' : 'later only',
            describe(version.effective),
            version.reason,
          ]),
        )),
  ]);
  return 0;
}

async function show(context: CommandContext, tenantId: string, version: number): Promise<number> {
  const body = await apiOf(context).get<VersionBody>(`/v1/tenants/${encodeURIComponent(tenantId)}/policy/versions/${version}`);
  context.output.result(body, () => [
    `tenant ${tenantId} ${describe(body.effective)}`,
    ...(version === 0 ? ['the environment default'] : [`by ${body.actor} at ${body.createdAt}: ${body.reason}`]),
  ]);
  return 0;
}

function previewLines(body: PreviewBody): string[] {
  const { summary } = body;
  return [
    `tenant ${body.tenantId}: v${body.fromVersion} -> v${body.toVersion} (${describe(body.policy)})`,
    `${summary.pending} pending deletions: ${summary.moved} would move (${summary.later} later), ${summary.heldAtAnnounced} kept at the date already announced (the draft alone would delete earlier), ${summary.remindersChanged} with reminders re-planned`,
    ...table(
      ['SUBSCRIPTION', 'DUE NOW', 'DUE AFTER', 'MOVED', 'ANNOUNCED KEPT', 'REMINDERS AFTER'],
      body.changes.map((change) => [
        change.subscriptionId,
        change.fromDueAt,
        change.toDueAt,
        change.movedBy,
        change.heldAtAnnounced ? `yes (draft: ${change.policyDueAt})` : 'no',
        change.toReminders.join(' ') || 'none',
      ]),
    ),
    ...(body.truncated ? ['(more not shown: raise --limit)'] : []),
  ];
}

async function preview(context: CommandContext, tenantId: string, options: DraftOptions): Promise<number> {
  const body = await apiOf(context).post<PreviewBody>(`/v1/tenants/${encodeURIComponent(tenantId)}/policy/preview`, {
    policy: draftOf(options),
    applyToPending: options.applyToPending === true,
    limit: options.limit ?? 100,
  });
  context.output.result(body, () => ['preview only: nothing changed', ...previewLines(body)]);
  return 0;
}

async function set(context: CommandContext, tenantId: string, options: DraftOptions): Promise<number> {
  const body = await apiOf(context).post<{ version: VersionBody; replanned: number }>(
    `/v1/tenants/${encodeURIComponent(tenantId)}/policy`,
    {
      policy: draftOf(options),
      applyToPending: options.applyToPending === true,
      actor: options.actor,
      reason: options.reason,
    },
  );
  context.output.result(body, () => [
    `tenant ${tenantId}: stored ${describe(body.version.effective)}`,
    `${body.replanned} pending deletions re-planned`,
  ]);
  return 0;
}

function draftOptions(command: Command): Command {
  return command
    .option('--delay <duration>', 'from suspension to deletion, e.g. P90D (default: the environment’s)')
    .option('--reminders <list>', 'reminder offsets before deletion, e.g. P30D,P7D,P1D; none for no reminders')
    .option('--grace <duration>', 'minimum time from legal-hold release to deletion')
    .option('--fraud-threshold <score>', 'fraud score that places a fraud hold, 0 to 1', Number)
    .option('--apply-to-pending', 're-plan pending deletions even when they would not move later (never before the date announced)');
}

/** `policy list|show|preview|set`: a tenant's policy versions, and a change previewed on live data before it is made. */
export function registerPolicy(program: Command, cli: Cli): void {
  const group = new CommandClass('policy').description('tenants’ policies: versions, preview, change');
  const tenant = () => new Argument('<tenantId>', 'the tenant').argParser(subscriptionId);
  group
    .command('list')
    .description('the tenant’s policy in force and its versions, newest first')
    .addArgument(tenant())
    .action(async (tenantId: string, _options: object, command: Command) => {
      await cli.run(command, (context) => list(context, tenantId), { api: true });
    });
  group
    .command('show')
    .description('one version (0: the environment default)')
    .addArgument(tenant())
    .addArgument(new Argument('<version>', 'the version number').argParser(wholeNumber(0, 1_000_000_000)))
    .action(async (tenantId: string, version: number, _options: object, command: Command) => {
      await cli.run(command, (context) => show(context, tenantId, version), { api: true });
    });
  draftOptions(
    group.command('preview').description('what a draft would do to pending deletions and reminders, from live data; changes nothing'),
  )
    .addArgument(tenant())
    .option('--limit <n>', 'show at most this many deletions', wholeNumber(1, 1_000), 100)
    .action(async (tenantId: string, options: DraftOptions, command: Command) => {
      await cli.run(command, (context) => preview(context, tenantId, options), { api: true });
    });
  draftOptions(group.command('set').description('store the draft as the tenant’s next version and re-plan its pending deletions'))
    .addArgument(tenant())
    .requiredOption('--reason <text>', 'why (kept with the version)', operatorText)
    .requiredOption('--actor <name>', 'who asks (kept with the version)', operatorText)
    .action(async (tenantId: string, options: DraftOptions, command: Command) => {
      await cli.run(command, (context) => set(context, tenantId, options), { api: true });
    });
  program.addCommand(group);
}
