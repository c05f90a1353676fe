import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

import { runCli } from '../../src/cli/program';

const repoRoot = path.resolve(__dirname, '..', '..');

/** What one CLI run printed and how it exited. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed: the one JSON document a --json run prints. */
  json(): unknown;
}

function ran(code: number | null, stdout: string, stderr: string): CliRun {
  return {
    code,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout) as unknown;
      } catch {
        throw new Error(`stdout is not one JSON document (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

/** The CLI in this process, with exactly `env`: quick, and what it can reach is only what `env` names. */
export async function runCliHere(args: readonly string[], env: Record<string, string>): Promise<CliRun & { code: number }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text) => ((stdout += text), true) },
    stderr: { write: (text) => ((stderr += text), true) },
    env,
    clock: Date.now,
    exit: () => undefined,
  });
  return { ...ran(code, stdout, stderr), code };
}

/** The real CLI in a child process, as an operator would run it, with exactly `env` (plus PATH and HOME for npx). */
export async function runCliChild(
  args: readonly string[],
  env: Record<string, string>,
  command: readonly string[] = ['npx', 'tsx', 'src/cli/main.ts'],
): Promise<CliRun> {
  const [file = 'npx', ...rest] = command;
  const child = spawn(file, [...rest, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A CLI that leaves a connection open never exits: fail with what it printed rather than at jest's timeout.
  const hang = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
  clearTimeout(hang);
  return ran(code, stdout, stderr);
}
