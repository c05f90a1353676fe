import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { dockerfileStages } from '../test/support/container-recipe';
import { isChildMessage, type ChildMessage } from './protocol';

export const repoRoot = path.resolve(__dirname, '..');
export const outputDir = path.join(repoRoot, 'test-output', 'bench');

type Result = Extract<ChildMessage, { kind: 'result' }>;

export type BenchRuntime = 'compiled' | 'tsx';

/**
 * How the children run (BENCH_RUNTIME): `compiled` (default) is what production runs, `node` on tsc's JavaScript
 * (tsconfig.bench.json, built by buildChildren); `tsx` compiles in the child, which adds ~40 MB to the idle worker's
 * RSS (211 against 171 MB) that production does not have. Every child of a run gets the same runtime.
 */
export function benchRuntime(value = process.env.BENCH_RUNTIME): BenchRuntime {
  if (value === undefined || value === '' || value === 'compiled') return 'compiled';
  if (value === 'tsx') return 'tsx';
  throw new Error(`BENCH_RUNTIME must be compiled or tsx, not ${value}`);
}

const buildDir = path.join(repoRoot, 'test-output', 'bench-build');

/** Peak resident set (VmHWM) of a live process in bytes, from /proc; null where /proc is not there. */
export function peakRss(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** Compiles the children and what they import (incremental: seconds when nothing changed). */
export function buildChildren(): void {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(repoRoot, 'tsconfig.bench.json')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}

/** The node flags the image starts the worker with: its runtime stage's CMD between `node` and the script. */
export function imageNodeFlags(file = path.join(repoRoot, 'Dockerfile')): string[] {
  const [node, ...args] = dockerfileStages(file).at(-1)?.cmd ?? [];
  if (node !== 'node') throw new Error(`${file}: the runtime stage's CMD does not start with node`);
  return args.slice(
    0,
    Math.max(
      0,
      args.findIndex((arg) => !arg.startsWith('--')),
    ),
  );
}

/**
 * The children's node flags: the image's (so the worker is measured as it ships, and the naive baseline and the floor
 * under the same V8 settings); BENCH_NODE_FLAGS, when set (empty too), replaces them: `BENCH_NODE_FLAGS=` for V8's own
 * defaults, `BENCH_NODE_FLAGS=--max-semi-space-size=16` to try another young generation.
 */
export function childNodeFlags(flags = process.env.BENCH_NODE_FLAGS): string[] {
  return flags === undefined ? imageNodeFlags() : flags.split(/\s+/).filter((flag) => flag !== '');
}

/** node's arguments for a child. */
export function childArgs(script: string, runtime: BenchRuntime, nodeFlags = childNodeFlags()): string[] {
  if (runtime === 'tsx') return [...nodeFlags, '--import', 'tsx', path.join(repoRoot, 'bench', script)];
  return [...nodeFlags, path.join(buildDir, 'bench', script.replace(/\.ts$/, '.js'))];
}

/** A benchmark child process (`bench/<script>.ts`, see childArgs) and what it reports over IPC. */
export class BenchChild {
  count = 0;
  lastDoneAt = 0;
  private ready: Promise<void>;
  private result: Promise<Result>;
  private exited: Promise<number | null>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const failed = this.exited.then((code) => {
      throw new Error(`${label} exited with ${code}; see ${path.join(outputDir, `${label}.log`)}`);
    });
    failed.catch(() => undefined);
    let onReady = (): void => undefined;
    let onResult = (_result: Result): void => undefined;
    this.ready = Promise.race([new Promise<void>((resolve) => (onReady = resolve)), failed]);
    this.result = Promise.race([new Promise<Result>((resolve) => (onResult = resolve)), failed]);
    child.on('message', (message: unknown) => {
      if (!isChildMessage(message)) return;
      if (message.kind === 'ready') onReady();
      else if (message.kind === 'progress') {
        this.count = message.count;
        this.lastDoneAt = message.lastDoneAt;
      } else onResult(message);
    });
  }

  static start(script: string, label: string, env: Record<string, string>): BenchChild {
    fs.mkdirSync(outputDir, { recursive: true });
    const log = fs.openSync(path.join(outputDir, `${label}.log`), 'w');
    const child = spawn(process.execPath, childArgs(script, benchRuntime()), {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', log, log, 'ipc'],
    });
    fs.closeSync(log);
    return new BenchChild(label, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async waitReady(timeoutMs = 120_000): Promise<void> {
    await withTimeout(this.ready, timeoutMs, `${this.label} not ready`);
  }

  /** Peak RSS so far, then the child's report; the child stops itself after sending it. */
  async finish(timeoutMs = 120_000): Promise<Result & { peakRssBytes: number | null }> {
    const peakRssBytes = peakRss(this.pid);
    this.child.send({ kind: 'finish' });
    const result = await withTimeout(this.result, timeoutMs, `${this.label} sent no result`);
    await withTimeout(this.exited, 60_000, `${this.label} did not exit`).catch(() => this.child.kill('SIGKILL'));
    return { ...result, peakRssBytes };
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
