import { Argument, type Command } from 'commander';

import { REDIS_SETTINGS } from '../config/redis-settings';
import { STORE_SETTINGS } from '../storage/stores';
import type { Actor } from '../domain';
import { auditView, subscriptionView } from '../http/subscription-view';
import { subscriptionTimeline, type ScheduledTimer } from '../use-cases/timeline';
import { subscriptionId, wholeNumber } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError } from './exit-codes';
import { iso, table } from './output';

interface StatusOptions {
  readonly audit: number;
}

const actorText = (actor: Actor): string =>
  `${actor.kind}:${actor.id}${actor.replayedBy === undefined ? '' : ` (replayed by ${actor.replayedBy})`}`;

function timerView(timer: ScheduledTimer) {
  return {
    kind: timer.kind,
    jobId: timer.jobId,
    dueAt: iso(timer.dueAt),
    ...(timer.offset === undefined ? {} : { offset: timer.offset }),
    jobState: timer.jobState,
  };
}

type StatusDocument = {
  readonly subscription: ReturnType<typeof subscriptionView>;
  readonly scheduled: readonly ReturnType<typeof timerView>[];
  readonly audit: readonly ReturnType<typeof auditView>[];
};

/** The same document `GET /v1/subscriptions/{id}/timeline` answers, read from the stores. */
async function fromStores(context: CommandContext, id: string, options: StatusOptions): Promise<StatusDocument> {
  const settings = context.settings(['MONGODB_URI', ...STORE_SETTINGS, ...REDIS_SETTINGS, 'QUEUE_PREFIX', 'TIMER_QUEUE']);
  const stores = await context.services.stores(settings);
  const queue = await context.services.queue(settings);
  const timeline = await subscriptionTimeline({ ...stores, queue }, id, options.audit);
  if (timeline === null) throw new CliError('notFound', `no subscription ${id}`);
  return {
    subscription: subscriptionView(timeline.subscription),
    scheduled: timeline.scheduled.map(timerView),
    audit: timeline.audit.map(auditView),
  };
}

async function showStatus(context: CommandContext, id: string, options: StatusOptions): Promise<number> {
  const api = context.api();
  const document =
    api === null
      ? await fromStores(context, id, options)
      : await api.get<StatusDocument>(`/v1/subscriptions/${encodeURIComponent(id)}/timeline`, { limit: options.audit });
  const { subscription: view, scheduled, audit } = document;
  context.output.result(document, () => [
    `${view.subscriptionId}  ${view.status} (access: ${view.accessLevel})  tenant ${view.tenantId}  customer ${view.customerId}`,
    `holds:       ${view.holds.length === 0 ? 'none' : view.holds.map((hold) => `${hold.reason} since ${hold.since}${hold.refs.length === 0 ? '' : ` [${hold.refs.join(', ')}]`}`).join('; ')}`,
    `deletion:    ${view.deletion === null ? 'none' : `due ${view.deletion.dueAt}${view.deletion.inProgress ? ' (in progress)' : ''}`}`,
    `legal hold:  ${view.legalHold === null ? 'none' : `since ${view.legalHold.since} by ${view.legalHold.actor}: ${view.legalHold.reason}`}`,
    ...(view.cancelledAt === null ? [] : [`cancelled:   ${view.cancelledAt}`]),
    ...(view.receipt === null
      ? []
      : [
          `deleted:     ${view.receipt.deletedAt} (${view.receipt.collections.map((entry) => `${entry.collection}: ${entry.deleted}`).join(', ') || 'tombstone only'})`,
          `certificate: ${view.receipt.certificate === null ? 'none' : `${view.receipt.certificate.certificate.certificateId}, signed by key ${view.receipt.certificate.certificate.keyId} (status --json has it; certificate verify checks it)`}`,
        ]),
    `updated:     ${view.updatedAt}`,
    '',
    ...(scheduled.length === 0
      ? ['timers:      none scheduled']
      : [
          'timers:',
          ...table(
            ['  KIND', 'DUE', 'JOB STATE', 'JOB ID'],
            scheduled.map((timer) => [
              `  ${timer.kind}${timer.offset === undefined ? '' : ` ${timer.offset}`}`,
              timer.dueAt,
              timer.jobState,
              timer.jobId,
            ]),
          ),
        ]),
    '',
    `audit (latest ${audit.length}, oldest first):`,
    ...table(
      ['  RECORDED', 'TYPE', 'OUTCOME', 'ACTOR', 'STATUS', 'REASON'],
      audit.map((record) => [
        `  ${record.recordedAt}`,
        record.type,
        record.outcome,
        actorText(record.actor),
        `${record.statusBefore ?? '-'}→${record.statusAfter ?? '-'}`,
        record.note === undefined ? record.reason : `${record.reason} (note: ${record.note})`,
      ]),
    ),
  ]);
  return 0;
}

/** `status <subscriptionId>`: the subscription, its timers as Redis has them, and its latest audit lines. */
export function registerStatus(program: Command, cli: Cli): void {
  program
    .command('status')
    .description('show a subscription, its scheduled timers (with their BullMQ job state) and its latest audit lines')
    .addArgument(new Argument('<subscriptionId>', 'the subscription').argParser(subscriptionId))
    .option('--audit <n>', 'how many of the latest audit lines to show', wholeNumber(1, 1_000), 10)
    .action(async (id: string, options: StatusOptions, command: Command) => {
      await cli.run(command, (context) => showStatus(context, id, options), { api: true });
    });
}
