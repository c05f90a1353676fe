import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { composeServices, copyLikeDocker, dockerfileStages, environmentOf } from '../support/container-recipe';
import { freePort } from '../support/free-port';
import { stackConnection } from '../support/stack-env';
import { uniqueName } from '../support/unique-name';
import { withDatabase } from '../support/worker-harness';

// No container engine runs in CI: the image is proven by replaying the Dockerfile's steps natively (npm ci, build,
// prune to production dependencies, the runtime stage's files only) and running the result with exactly the compose
// file's worker environment, its service addresses swapped for the test stack's.
const repo = path.resolve(__dirname, '..', '..');
const stages = dockerfileStages(path.join(repo, 'Dockerfile'));
const worker = composeServices(path.join(repo, 'docker-compose.yml')).worker;

function run(command: string, cwd: string): void {
  // The npm cache is shared with the checkout's install, so `npm ci` here downloads nothing it already has.
  execFileSync('bash', ['-c', command], { cwd, stdio: 'pipe', env: { ...process.env, npm_config_prefer_offline: 'true' } });
}

/** Replays the build stage in `buildDir` and the runtime stage in `imageDir`; returns the runtime stage's ENV and CMD. */
function replayImage(buildDir: string, imageDir: string): { env: Record<string, string>; cmd: readonly string[] } {
  const [build, runtime] = stages;
  if (build?.name === undefined || runtime === undefined) throw new Error('expected a named build stage and a runtime stage');
  for (const copy of build.copies) {
    for (const source of copy.sources) copyLikeDocker(path.join(repo, source), path.join(buildDir, copy.target));
  }
  for (const command of build.runs) run(command, buildDir);
  for (const copy of runtime.copies) {
    for (const source of copy.sources) {
      const from = copy.from === build.name ? path.join(buildDir, path.relative('/app', source)) : path.join(repo, source);
      copyLikeDocker(from, path.join(imageDir, copy.target));
    }
  }
  // The image's /app is this directory; `$PATH` is the base image's, here the host's (which has Node 24).
  const env = Object.fromEntries(
    Object.entries(runtime.env).map(([key, value]) => [key, value.replaceAll('/app', imageDir).replace('$PATH', process.env.PATH ?? '')]),
  );
  return { env, cmd: runtime.cmd };
}

async function waitForReady(url: string, child: ChildProcess, output: () => string): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return response.status;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('the container image, replayed natively', () => {
  let root: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'be-image-'));
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child?.once('exit', resolve));
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('compose never restarts the worker forever, and stops it after its shutdown deadline', () => {
    expect(worker?.restart).toMatch(/^(no|on-failure:\d+)$/);
    expect(worker?.stop_grace_period).toBe('30s');
  });

  it('builds, prunes to production dependencies, serves /readyz with the compose environment, and carries the CLI', async () => {
    const buildDir = path.join(root, 'build');
    const imageDir = path.join(root, 'app');
    fs.mkdirSync(buildDir);
    fs.mkdirSync(imageDir);
    const image = replayImage(buildDir, imageDir);

    // Pruned: no dev dependency made it into the runtime stage (typescript does: a peer of valibot, under @bull-board/api);
    // no TypeScript source either.
    for (const dev of ['jest', 'tsx', 'eslint', '@swc/core'])
      expect([dev, fs.existsSync(path.join(imageDir, 'node_modules', dev))]).toEqual([dev, false]);
    expect(fs.existsSync(path.join(imageDir, 'src'))).toBe(false);

    const stack = stackConnection();
    const port = await freePort();
    const compose = environmentOf(worker ?? {});
    // Exactly compose's worker environment (on top of the image's ENV), but for the addresses of compose's own
    // services, which are the test stack here; a database of its own keeps other tests' data apart.
    const env: Record<string, string> = {
      ...image.env,
      ...compose,
      KAFKA_BROKERS: stack.KAFKA_BROKERS,
      MONGODB_URI: withDatabase(stack.MONGODB_URI, uniqueName('image').slice(0, 40)),
      REDIS_URL: stack.REDIS_URL,
      HTTP_PORT: String(port),
    };
    expect(env.NODE_ENV).toBe('production');
    expect(Object.keys(compose).sort()).toEqual(['ADMIN_TOKEN', 'HTTP_PORT', 'KAFKA_BROKERS', 'MONGODB_URI', 'REDIS_URL']);

    const [command = '', ...args] = image.cmd;
    let output = '';
    child = spawn(command, args, { cwd: imageDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await waitForReady(`http://127.0.0.1:${port}/readyz`, child, () => output)).toBe(200);

    // The operator CLI from the pruned tree, found on the image's PATH.
    const help = spawnSync('billing-enforcer', ['--help'], { cwd: imageDir, env, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: billing-enforcer');
    const status = spawnSync('billing-enforcer', ['status', 'no-such-subscription', '--json'], { cwd: imageDir, env, encoding: 'utf8' });
    expect({ status: status.status, stderr: status.stderr }).toEqual({ status: 3, stderr: expect.any(String) as string });

    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 600_000);
});
