import { Argument, Command as CommandClass, type Command } from 'commander';

import { policyOf, POLICY_SETTINGS } from '../config/config';
import type { Decision } from '../domain';
import { buildWriter, WRITER_SETTINGS } from '../commit/writer';
import { subscriptionView } from '../http/subscription-view';
import { REDIS_SETTINGS } from '../config/redis-settings';
import { STORE_SETTINGS } from '../storage/stores';
import { TenantPolicyRepository } from '../storage/tenant-policy.repository';
import { TenantPolicies } from '../use-cases/tenant-policies';
import { runOperatorCommand, type OperatorAction } from '../use-cases/operator-commands';
import { operatorText, subscriptionId } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError } from './exit-codes';
import { iso } from './output';
import { KAFKA_SECURITY_SETTINGS } from '../config/kafka-security-settings';

interface LegalHoldOptions {
  readonly reason: string;
  readonly actor: string;
}

/** Why a request changed nothing, when the operator must hear about it (exit 4); null when it did what was asked. */
function refusal(action: OperatorAction, decision: Decision, id: string): string | null {
  if (decision.outcome !== 'applied') return `subscription ${id}: ${decision.outcome} (${decision.audit.reason}); nothing changed`;
  if (decision.audit.reason !== 'no-change') return null;
  const hold = decision.state?.legalHold ?? null;
  if (action === 'legal-hold-set' && hold !== null)
    return `subscription ${id} is already under legal hold (placed by ${hold.actor} at ${iso(hold.since)}: ${hold.reason}); that hold is kept unchanged`;
  if (action === 'legal-hold-release' && hold === null) return `subscription ${id} has no legal hold to release`;
  return null;
}

interface CommandAnswer {
  readonly outcome: string;
  readonly reason: string;
  readonly subscription: ReturnType<typeof subscriptionView> | null;
}

function printResult(context: CommandContext, action: OperatorAction, id: string, answer: CommandAnswer): number {
  const view = answer.subscription;
  context.output.result({ action, outcome: answer.outcome, changes: answer.reason, subscription: view }, () => [
    `${id}: ${answer.reason}`,
    ...(view === null
      ? []
      : [
          `status ${view.status}, legal hold ${view.legalHold === null ? 'none' : `since ${view.legalHold.since} by ${view.legalHold.actor}`}`,
          `deletion ${view.deletion === null ? 'none' : `due ${view.deletion.dueAt}`}`,
        ]),
  ]);
  return 0;
}

/** Through the HTTP API: the worker runs the command and carries out its effects; 409 (already held, none to release) exits 4. */
async function viaApi(context: CommandContext, action: OperatorAction, id: string, options: LegalHoldOptions): Promise<number | null> {
  const api = context.api();
  if (api === null) return null;
  const path = `/v1/subscriptions/${encodeURIComponent(id)}/legal-hold`;
  const body = { reason: options.reason, actor: options.actor };
  const answer = action === 'legal-hold-set' ? await api.post<CommandAnswer>(path, body) : await api.delete<CommandAnswer>(path, body);
  if (answer.outcome !== 'applied')
    throw new CliError('refused', `subscription ${id}: ${answer.outcome} (${answer.reason}); nothing changed`);
  return printResult(context, action, id, answer);
}

async function legalHold(context: CommandContext, action: OperatorAction, id: string, options: LegalHoldOptions): Promise<number> {
  const answered = await viaApi(context, action, id, options);
  if (answered !== null) return answered;
  // Releasing reschedules the deletion timer (Redis) and announces it (Kafka): the command carries out its own effects.
  const settings = context.settings([
    'MONGODB_URI',
    ...STORE_SETTINGS,
    ...REDIS_SETTINGS,
    'QUEUE_PREFIX',
    'TIMER_QUEUE',
    'KAFKA_BROKERS',
    'KAFKA_CLIENT_ID',
    'KAFKA_PRODUCER_COMPRESSION',
    ...KAFKA_SECURITY_SETTINGS,
    ...WRITER_SETTINGS,
    ...POLICY_SETTINGS,
  ]);
  const connection = await context.services.mongo(settings.MONGODB_URI);
  const stores = await context.services.stores(settings);
  const { subscriptions } = stores;
  const stored = await subscriptions.get(id);
  if (stored === null) throw new CliError('notFound', `no subscription ${id}`);
  // Refused before anything is written when the state already says so; the decision below catches a concurrent change.
  if (action === 'legal-hold-set' && stored.state.legalHold !== null) {
    const hold = stored.state.legalHold;
    throw new CliError(
      'refused',
      `subscription ${id} is already under legal hold (placed by ${hold.actor} at ${iso(hold.since)}: ${hold.reason})`,
    );
  }
  if (action === 'legal-hold-release' && stored.state.legalHold === null)
    throw new CliError('refused', `subscription ${id} has no legal hold to release`);

  const queue = await context.services.queue(settings);
  const producer = await context.services.producer(settings);
  const clock = context.io.clock;
  const redis = await context.services.redis(settings);
  // This process writes the subscription beside the workers: the same commit path, the same leases.
  const { commits, locks } = buildWriter({ database: connection.name, stores, queue, producer, redis, settings, clock });
  const policy = policyOf(settings);
  const result = await runOperatorCommand(
    {
      subscriptions,
      commits,
      policy,
      // A release schedules the deletion by the tenant's grace: its own policy version, read now (no cache to go stale).
      tenantPolicies: new TenantPolicies(new TenantPolicyRepository(connection), policy, 0, clock),
      clock,
      locks,
    },
    { subscriptionId: id, action, actor: options.actor, reason: options.reason },
  );
  if (!result.found) throw new CliError('notFound', `no subscription ${id}`);
  const { decision } = result;
  const refused = refusal(action, decision, id);
  if (refused !== null) throw new CliError('refused', refused);
  return printResult(context, action, id, {
    outcome: decision.outcome,
    reason: decision.audit.reason,
    subscription: decision.state === null ? null : subscriptionView(decision.state),
  });
}

/** `legal-hold set|release`: block or unblock a subscription's data deletion, as an operator, with a reason. */
export function registerLegalHold(program: Command, cli: Cli): void {
  const group = new CommandClass('legal-hold').description('place or release a legal hold (blocks data deletion, not access)');
  const verbs: readonly [string, OperatorAction, string][] = [
    ['set', 'legal-hold-set', 'place a legal hold: the deletion will not run while it is held'],
    [
      'release',
      'legal-hold-release',
      'release the legal hold: deletion resumes at the later of its due date and now + LEGAL_HOLD_RELEASE_GRACE',
    ],
  ];
  for (const [verb, action, description] of verbs) {
    group
      .command(verb)
      .description(description)
      .addArgument(new Argument('<subscriptionId>', 'the subscription').argParser(subscriptionId))
      .requiredOption('--reason <text>', 'why (kept in the audit trail)', operatorText)
      .requiredOption('--actor <name>', 'who asks (the audit trail records it as the operator)', operatorText)
      .action(async (id: string, options: LegalHoldOptions, command: Command) => {
        await cli.run(command, (context) => legalHold(context, action, id, options), { api: true });
      });
  }
  program.addCommand(group);
}
