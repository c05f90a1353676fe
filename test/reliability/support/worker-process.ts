import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../support/free-port';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const outputDir = path.join(repoRoot, 'test-output', 'reliability');

/** The real worker (`src/main.ts`) in a child process, so it can be killed the way production processes die. */
export class WorkerProcess {
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(name: string, env: Record<string, string>): Promise<WorkerProcess> {
    fs.mkdirSync(outputDir, { recursive: true });
    const port = await freePort();
    const log = fs.openSync(path.join(outputDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'main.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const worker = new WorkerProcess(name, child, port);
    try {
      await worker.waitUntilReady();
    } catch (error) {
      // A worker that never got ready is still a process: left running, it would hold the test run open.
      await worker.kill('SIGKILL');
      throw error;
    }
    return worker;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Generous: joining a group that is rebalancing around a SIGKILLed member takes a session timeout or more on a busy machine. */
  private async waitUntilReady(timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`worker ${this.name} exited with ${this.child.exitCode} during start-up; see ${outputDir}/${this.name}.log`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/readyz`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`worker ${this.name} not ready within ${timeoutMs} ms`);
  }

  /** The sum of a Prometheus series (all its labels) on the worker's GET /metrics; 0 when the worker does not answer. */
  async metric(name: string): Promise<number> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    } catch {
      return 0;
    }
  }

  /** Sends the signal and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return await this.exited;
  }

  async waitForExit(): Promise<number | null> {
    return await this.exited;
  }
}
