import { Command as CommandClass, type Command } from 'commander';

import { localStack, stackServices, stackStatus, stackUp, stopService, type Stack } from './stack';
import type { Cli, CommandContext } from '../../src/cli/context';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { table } from '../../src/cli/output';

/** The local stack as the environment sets it (STACK_DIR, STACK_*_PORT); a bad port is a configuration error. */
function stackFromEnv(): Stack {
  try {
    return localStack();
  } catch (error) {
    throw new CliError('config', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

async function status(context: CommandContext): Promise<number> {
  const stack = stackFromEnv();
  const services = (await stackStatus(stack)).map((service) => ({
    name: service.name,
    state: service.answering ? ('up' as const) : ('down' as const),
    port: service.port,
    pid: service.pid ?? null,
    ...(service.error === undefined ? {} : { error: service.error }),
  }));
  const up = services.every((service) => service.state === 'up');
  context.output.result({ state: up ? 'up' : 'down', root: stack.layout.root, services }, () => [
    ...table(
      ['SERVICE', 'STATE', 'ADDRESS', 'PID'],
      services.map((service) => [
        service.name,
        service.state,
        `127.0.0.1:${service.port}`,
        service.pid === null ? '-' : String(service.pid),
      ]),
    ),
    `stack ${up ? 'up' : 'down'} (${stack.layout.root})`,
  ]);
  return up ? EXIT.ok : EXIT.unavailable;
}

async function up(context: CommandContext): Promise<number> {
  const stack = stackFromEnv();
  await stackUp(stack, (line) => {
    context.output.note(line);
  });
  context.output.result({ state: 'up', root: stack.layout.root, envFile: stack.layout.envFile, connection: stack.connection }, () => [
    ...Object.entries(stack.connection).map(([key, value]) => `${key}=${value}`),
    `(written to ${stack.layout.envFile})`,
  ]);
  return EXIT.ok;
}

async function down(context: CommandContext): Promise<number> {
  const stack = stackFromEnv();
  const services: { name: string; stopped: boolean }[] = [];
  // Reverse start order, each by the pid it recorded (and only while that pid still runs our command).
  for (const service of [...stackServices].reverse()) {
    services.push({ name: service.name, stopped: await stopService(service, stack.layout) });
  }
  context.output.result({ state: 'down', root: stack.layout.root, services }, () =>
    services.map((service) => `${service.name}: ${service.stopped ? 'stopped' : 'not running'}`),
  );
  return EXIT.ok;
}

/** `stack up|down|status`: the local Kafka, FerretDB and Redis under .stack/ (see tools/stack/). Needs no settings. */
export function registerStack(program: Command, cli: Cli): void {
  const group = new CommandClass('stack').description('the local stack (Kafka, FerretDB, Redis) under STACK_DIR (default .stack/)');
  const verbs: readonly [string, string, (context: CommandContext) => Promise<number>][] = [
    ['up', 'provision and start every service not running yet, wait until each answers, write the connection settings', up],
    ['down', 'stop the services this stack started', down],
    ['status', 'probe each service (exit 69 when any is down)', status],
  ];
  for (const [verb, description, body] of verbs) {
    group
      .command(verb)
      .description(description)
      .action(async (_options: unknown, command: Command) => {
        await cli.run(command, body);
      });
  }
  program.addCommand(group);
}
