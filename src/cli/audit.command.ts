import { Argument, Command as CommandClass, type Command } from 'commander';

import { STORE_SETTINGS } from '../storage/stores';
import { verificationText, verifyAuditTrail, type AuditVerification } from '../use-cases/audit-verification';
import { subscriptionId } from './arguments';
import type { Cli, CommandContext } from './context';
import { CliError, EXIT } from './exit-codes';

async function verify(context: CommandContext, id: string): Promise<number> {
  const api = context.api();
  let result: AuditVerification | null;
  if (api === null) {
    const stores = await context.services.stores(context.settings(['MONGODB_URI', ...STORE_SETTINGS]));
    result = await verifyAuditTrail(stores, id);
  } else {
    result = await api.get<AuditVerification>(`/v1/subscriptions/${encodeURIComponent(id)}/audit/verify`);
  }
  if (result === null) throw new CliError('notFound', `no subscription ${id}`);
  const verdict = result;
  context.output.result(verdict, () => [`${verdict.subscriptionId}: ${verificationText(verdict)}`]);
  // Returned, not thrown: under --json the verdict stays the one document on stdout.
  return verdict.verified ? EXIT.ok : EXIT.unverified;
}

/** `audit verify <subscriptionId>`: the subscription's audit hash chain, checked record by record. */
export function registerAudit(program: Command, cli: Cli): void {
  const group = new CommandClass('audit').description("a subscription's audit trail: verify its hash chain");
  group
    .command('verify')
    .description('verify the audit hash chain of a subscription and name the first broken link (exit 5 when broken)')
    .addArgument(new Argument('<subscriptionId>', 'the subscription').argParser(subscriptionId))
    .action(async (id: string, _options: unknown, command: Command) => {
      await cli.run(command, (context) => verify(context, id), { api: true });
    });
  program.addCommand(group);
}
