import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { AppError } from '../../src/errors';

/** A fault the operator can fix: its message says what is missing and how to get it. */
export class StackError extends AppError {
  override readonly name: string = 'StackError';

  constructor(message: string) {
    super('STACK_UNAVAILABLE', message);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** A pid file names a process of ours only while that process still runs the command we started. */
export function runningPid(pidFile: string, marker: string): number | undefined {
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  return commandLineOf(pid).includes(marker) ? pid : undefined;
}

export interface Daemon {
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly pidFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts a process in its own session so it outlives this script, and records its pid. */
export function startDaemon(daemon: Daemon): number {
  fs.mkdirSync(path.dirname(daemon.logFile), { recursive: true });
  const log = fs.openSync(daemon.logFile, 'a');
  const child = spawn(daemon.command, [...daemon.args], {
    cwd: daemon.cwd,
    env: daemon.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new StackError(`could not start ${daemon.command}`);
  child.unref();
  fs.writeFileSync(daemon.pidFile, `${child.pid}\n`);
  return child.pid;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

export async function isPortFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () =>
      server.close(() => {
        resolve(true);
      }),
    );
  });
}

export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a provisioning command to completion, streaming its output into a log file. */
export function runToLog(
  command: string,
  args: readonly string[],
  logFile: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): void {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  const result = spawnSync(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  if (result.status !== 0) {
    const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    throw new StackError(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}); see ${logFile}:\n${tail}`);
  }
}

/** Polls `probe` until it resolves, or fails with the last error after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<void>, timeoutMs: number, isStillRunning: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    if (!isStillRunning()) throw new StackError(`${what} exited during start-up`);
    await sleep(250);
  }
  throw new StackError(`${what} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}
