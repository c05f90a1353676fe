import path from 'node:path';

import type { StackLayout, StackPorts } from './layout';
import { isPortFree, runningPid, startDaemon, stopPid, StackError, waitFor } from './processes';

/** One server of the local stack: how to get it, how to start it and how to know it answers. */
export interface ServiceDefinition {
  readonly name: string;
  /** A string found in the process's command line, so a reused pid is never mistaken for ours. */
  readonly marker: string;
  readonly port: (ports: StackPorts) => number;
  readonly provision: (layout: StackLayout, ports: StackPorts) => void;
  readonly command: (layout: StackLayout, ports: StackPorts) => { command: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** A real round trip through the protocol, not just an open port. */
  readonly probe: (ports: StackPorts) => Promise<void>;
  readonly startTimeoutMs: number;
}

export interface ServiceStatus {
  readonly name: string;
  readonly pid: number | undefined;
  readonly port: number;
  readonly answering: boolean;
  readonly error?: string;
}

export function pidFile(layout: StackLayout, service: ServiceDefinition): string {
  return path.join(layout.root, `${service.name}.pid`);
}

export async function startService(
  service: ServiceDefinition,
  layout: StackLayout,
  ports: StackPorts,
  note: (line: string) => void = () => undefined,
): Promise<'started' | 'already running'> {
  const existing = runningPid(pidFile(layout, service), service.marker);
  if (existing !== undefined) {
    await waitFor(
      service.name,
      () => service.probe(ports),
      service.startTimeoutMs,
      () => true,
    );
    return 'already running';
  }
  const port = service.port(ports);
  if (!(await isPortFree(port))) {
    throw new StackError(
      `${service.name}: port ${port} on 127.0.0.1 is taken by a process the stack did not start; free it or set another port (see docs/development.md, "Local stack")`,
    );
  }
  // A first run downloads or builds what the service needs, which can take minutes: say so before going quiet.
  note(`provisioning (a first run fetches and builds; log in ${path.relative(process.cwd(), layout.logs) || layout.logs})…`);
  service.provision(layout, ports);
  const { command, args, env } = service.command(layout, ports);
  const pid = startDaemon({
    command,
    args,
    env: env ?? process.env,
    cwd: layout.root,
    logFile: path.join(layout.logs, `${service.name}.log`),
    pidFile: pidFile(layout, service),
  });
  note(`started (pid ${pid}), waiting for it to answer on port ${port}…`);
  try {
    await waitFor(
      service.name,
      () => service.probe(ports),
      service.startTimeoutMs,
      () => runningPid(pidFile(layout, service), service.marker) !== undefined,
    );
  } catch (error) {
    await stopPid(pid);
    throw new StackError(`${(error as Error).message}; see ${path.join(layout.logs, `${service.name}.log`)}`);
  }
  return 'started';
}

export async function stopService(service: ServiceDefinition, layout: StackLayout): Promise<boolean> {
  const pid = runningPid(pidFile(layout, service), service.marker);
  if (pid === undefined) return false;
  await stopPid(pid);
  return true;
}

export async function serviceStatus(service: ServiceDefinition, layout: StackLayout, ports: StackPorts): Promise<ServiceStatus> {
  const pid = runningPid(pidFile(layout, service), service.marker);
  try {
    await service.probe(ports);
    return { name: service.name, pid, port: service.port(ports), answering: true };
  } catch (error) {
    return { name: service.name, pid, port: service.port(ports), answering: false, error: (error as Error).message };
  }
}
