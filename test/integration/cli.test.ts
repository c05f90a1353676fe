import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Config } from '../../src/config/config';
import { DeadLetterStore } from '../../src/storage/dead-letter.repository';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, paymentOverdue, type Ids } from '../support/events';
import { eventually, startWorker, type Harness } from '../support/worker-harness';
import { freePort } from '../support/free-port';
import { runCliChild } from '../support/cli-run';

/** Runs the real CLI in a child process, as an operator would, with exactly `env` (plus PATH and HOME for npx). */
const cli = runCliChild;

/** The worker's settings as environment variables: the CLI reads the same ones. */
function envOf(config: Readonly<Config>): Record<string, string> {
  return {
    KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
    MONGODB_URI: config.MONGODB_URI,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    TIMER_QUEUE: config.TIMER_QUEUE,
    TOPIC_BILLING_PAYMENTS: config.TOPIC_BILLING_PAYMENTS,
    TOPIC_FRAUD_SIGNALS: config.TOPIC_FRAUD_SIGNALS,
    TOPIC_CUSTOMER_REQUESTS: config.TOPIC_CUSTOMER_REQUESTS,
    TOPIC_LIFECYCLE: config.TOPIC_LIFECYCLE,
    TOPIC_DLQ: config.TOPIC_DLQ,
  };
}

/** The operator CLI as a child process against a worker on the real stack, with a database, queue and topics of its own. */
describe('billing-enforcer CLI', () => {
  let h: Harness;
  let env: Record<string, string>;
  const suspended: Ids[] = [newIds('cli-a'), newIds('cli-b'), newIds('cli-c')];
  const [first] = suspended as [Ids, ...Ids[]];

  beforeAll(async () => {
    // The scheduled reconciler stays off: the test runs it through the CLI and counts what it repairs.
    h = await startWorker({ RECONCILE_ENABLED: 'false' });
    env = envOf(h.app.config);
    await h.produce(
      h.topics.payments,
      suspended.map((ids) => paymentOverdue(ids, 'inv-1')),
    );
    await eventually(async () => {
      for (const ids of suspended) {
        expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1)))?.getState()).toBe('delayed');
      }
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('status --json: the subscription, its scheduled timers with their job state, its audit trail', async () => {
    const run = await cli(['status', first.subscriptionId, '--json'], env);
    expect(run.code).toBe(0);
    const body = run.json() as {
      subscription: { status: string; accessLevel: string; deletion: { dueAt: string } | null };
      scheduled: { kind: string; jobId: string; jobState: string }[];
      audit: { type: string; outcome: string }[];
    };
    expect(body.subscription).toMatchObject({ status: 'suspended', accessLevel: 'admins-only' });
    expect(body.scheduled).toContainEqual(
      expect.objectContaining({ kind: 'deletion', jobId: deletionJobId(first.subscriptionId, 1), jobState: 'delayed' }),
    );
    expect(body.scheduled.filter((timer) => timer.kind === 'reminder')).toHaveLength(3);
    expect(body.audit).toContainEqual(expect.objectContaining({ type: 'invoice-overdue', outcome: 'applied' }));
  });

  it('status prints text without --json', async () => {
    const run = await cli(['status', first.subscriptionId], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('suspended');
    expect(run.stdout).toContain(deletionJobId(first.subscriptionId, 1));
  });

  it('status of an unknown subscription exits 3', async () => {
    const run = await cli(['status', 'no-such-subscription', '--json'], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('no subscription no-such-subscription');
    expect(run.json()).toEqual({ error: { kind: 'notFound', exitCode: 3, message: 'no subscription no-such-subscription' } });
  });

  it('deletions upcoming lists the suspended subscriptions soonest first, following cursors', async () => {
    const all = await cli(['deletions', 'upcoming', '--before', 'P61D', '--json'], env);
    expect(all.code).toBe(0);
    const body = all.json() as { count: number; items: { subscriptionId: string; dueAt: string }[]; next: string | null };
    expect(body.items.map((item) => item.subscriptionId).sort()).toEqual(suspended.map((ids) => ids.subscriptionId).sort());
    expect(body.next).toBeNull();

    const firstTwo = await cli(['deletions', 'upcoming', '--before', 'P61D', '--limit', '2', '--json'], env);
    const page = firstTwo.json() as { items: { subscriptionId: string }[]; next: string | null };
    expect(page.items).toHaveLength(2);
    expect(page.next).not.toBeNull();
    const rest = await cli(['deletions', 'upcoming', '--before', 'P61D', '--after', page.next ?? '', '--json'], env);
    expect([...page.items, ...(rest.json() as { items: { subscriptionId: string }[] }).items].map((item) => item.subscriptionId)).toEqual(
      body.items.map((item) => item.subscriptionId),
    );

    const none = await cli(['deletions', 'upcoming', '--before', '2000-01-01T00:00:00Z', '--json'], env);
    expect(none.json()).toMatchObject({ count: 0, items: [] });
  });

  it('legal-hold set, set again (refused: 4), release, release again (refused: 4)', async () => {
    const id = first.subscriptionId;
    const hold = ['--reason', 'litigation L-7', '--actor', 'alice'];
    const set = await cli(['legal-hold', 'set', id, ...hold, '--json'], env);
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({ action: 'legal-hold-set', outcome: 'applied', subscription: { legalHold: { actor: 'alice' } } });

    const again = await cli(['legal-hold', 'set', id, ...hold], env);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('already under legal hold');

    const release = await cli(['legal-hold', 'release', id, '--reason', 'case closed', '--actor', 'bob', '--json'], env);
    expect(release.code).toBe(0);
    expect(release.json()).toMatchObject({ action: 'legal-hold-release', subscription: { legalHold: null, status: 'suspended' } });
    // Release rescheduled the deletion under a new timer generation, through the CLI's own Redis connection.
    expect(await (await h.app.queue.getJob(deletionJobId(id, 2)))?.getState()).toBe('delayed');

    const releaseAgain = await cli(['legal-hold', 'release', id, '--reason', 'case closed', '--actor', 'bob'], env);
    expect(releaseAgain.code).toBe(4);
    expect(releaseAgain.stderr).toContain('no legal hold to release');

    const unknown = await cli(['legal-hold', 'set', 'no-such-subscription', ...hold], env);
    expect(unknown.code).toBe(3);
  });

  it('reconcile --json reports what it scanned and repaired', async () => {
    const [, lost] = suspended as [Ids, Ids];
    await h.app.queue.remove(deletionJobId(lost.subscriptionId, 1));
    const run = await cli(['reconcile', '--json'], env);
    expect(run.code).toBe(0);
    const report = run.json() as Record<string, number>;
    expect(report).toMatchObject({ subscriptionsScanned: 3, missing: 1, overdueMissing: 0, wrongTime: 0, orphans: 0, failed: 0 });
    expect(report.jobsScanned).toBeGreaterThanOrEqual(3);
    expect(await (await h.app.queue.getJob(deletionJobId(lost.subscriptionId, 1)))?.getState()).toBe('delayed');
  });

  it('reconcile refuses a database with no subscriptions (4), which would make every job an orphan', async () => {
    const wrong = new URL(env.MONGODB_URI ?? '');
    wrong.pathname = '/no-such-database';
    const run = await cli(['reconcile'], { ...env, MONGODB_URI: wrong.toString() });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('no subscriptions collection');
  });

  it('dlq list and replay: refuses no selection (2), replays what a filter selects to its source topic', async () => {
    const store = new DeadLetterStore(h.app.connection);
    const replayed = newIds('cli-dlq');
    const event = paymentOverdue(replayed, 'inv-9');
    const letter = (offset: string, code: string) => ({
      dlqPartition: 0,
      dlqOffset: offset,
      sourceTopic: h.topics.payments,
      sourcePartition: 0,
      sourceOffset: offset,
      code,
      reason: `${code} for the test`,
      failedAt: Date.now(),
      key: replayed.subscriptionId,
      value: Buffer.from(event.value),
      headers: [],
      replayOf: null,
    });
    await store.index([letter('1', 'PROCESSING_FAILED'), letter('2', 'SCHEMA_VIOLATION')], Date.now());

    const listed = await cli(['dlq', 'list', '--code', 'PROCESSING_FAILED', '--json'], env);
    expect(listed.code).toBe(0);
    expect(listed.json()).toMatchObject({ total: 1, count: 1, items: [{ id: '0-1', status: 'pending', code: 'PROCESSING_FAILED' }] });

    const unselected = await cli(['dlq', 'replay'], env);
    expect(unselected.code).toBe(2);
    expect(unselected.stderr).toContain('--all');

    const replay = await cli(['dlq', 'replay', '--code', 'PROCESSING_FAILED', '--actor', 'carol', '--json'], env);
    expect(replay.code).toBe(0);
    expect(replay.json()).toEqual({ replayed: 1, skipped: 0, failed: [], actor: 'carol' });
    // The replayed event reached the worker through its inbound topic.
    await eventually(async () => expect((await h.app.subscriptions.get(replayed.subscriptionId))?.state.status).toBe('suspended'));

    const again = await cli(['dlq', 'replay', '--id', '0-1', '--json'], env);
    expect(again.json()).toMatchObject({ replayed: 0, skipped: 1 });
    const missing = await cli(['dlq', 'replay', '--id', '0-99'], env);
    expect(missing.code).toBe(3);
  });

  it('dlq list never prints a control or bidi character from a Kafka key or reason; a forged correction exits 4', async () => {
    const store = new DeadLetterStore(h.app.connection);
    const ids = newIds('cli-hostile');
    const event = paymentOverdue(ids, 'inv-1');
    await store.index(
      [
        {
          dlqPartition: 1,
          dlqOffset: '7',
          sourceTopic: h.topics.payments,
          sourcePartition: 0,
          sourceOffset: '7',
          code: 'INVALID_ENCODING',
          reason: 'value is not JSON: Unexpected token \u001b[2J\u0007 \u009b31m \u202egnp',
          failedAt: Date.now(),
          key: `${ids.subscriptionId}\u001b]0;owned\u0007`,
          value: Buffer.from(event.value),
          headers: [],
          replayOf: null,
        },
      ],
      Date.now(),
    );
    for (const args of [
      ['dlq', 'list', '--code', 'INVALID_ENCODING'],
      ['dlq', 'list', '--code', 'INVALID_ENCODING', '--json'],
    ]) {
      const listed = await cli(args, env);
      expect(listed.code).toBe(0);
      // eslint-disable-next-line no-control-regex -- control characters are exactly what must not be printed
      expect(listed.stdout.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect(listed.stdout).toContain('\\u001b');
    }

    // A letter the worker could take as it is (its key is the subscription id): only the forgery is wrong.
    await store.index(
      [
        {
          dlqPartition: 1,
          dlqOffset: '8',
          sourceTopic: h.topics.payments,
          sourcePartition: 0,
          sourceOffset: '8',
          code: 'PROCESSING_FAILED',
          reason: 'failed alone, repeatedly',
          failedAt: Date.now(),
          key: ids.subscriptionId,
          value: Buffer.from(event.value),
          headers: [],
          replayOf: null,
        },
      ],
      Date.now(),
    );
    const forged = path.join(os.tmpdir(), `forged-${ids.subscriptionId}.json`);
    writeFileSync(forged, paymentOverdue(ids, 'inv-1').value);
    const refused = await cli(['dlq', 'replay', '--id', '1-8', '--value-file', forged, '--actor', 'mallory'], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/the corrected value changes eventId/);
  });

  it('dlq replay (direct) refuses a correction that would be dead-lettered again, as the API does; the letter stays pending', async () => {
    const store = new DeadLetterStore(h.app.connection);
    const ids = newIds('cli-again');
    const original = JSON.parse(paymentOverdue(ids, 'inv-1').value) as Record<string, unknown>;
    await store.index(
      [
        {
          dlqPartition: 2,
          dlqOffset: '11',
          sourceTopic: h.topics.payments,
          sourcePartition: 0,
          sourceOffset: '11',
          code: 'SCHEMA_VIOLATION',
          reason: 'data.invoiceId: is required',
          failedAt: Date.now(),
          key: ids.subscriptionId,
          value: Buffer.from(JSON.stringify({ ...original, data: {} })),
          headers: [],
          replayOf: null,
        },
      ],
      Date.now(),
    );
    // Same identity (so not a forgery), still against the schema: the worker would dead-letter it again.
    const correction = path.join(os.tmpdir(), `again-${ids.subscriptionId}.json`);
    writeFileSync(correction, JSON.stringify({ ...original, data: { invoiceId: 7 } }));
    const refused = await cli(['dlq', 'replay', '--id', '2-11', '--value-file', correction, '--actor', 'dave'], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/would be dead-lettered again \(SCHEMA_VIOLATION\)/);
    expect(await store.get('2-11')).toMatchObject({ status: 'pending', replayCount: 0, correctedValue: null });
  });

  it('usage errors exit 2, through the bin shim too', async () => {
    expect((await cli(['status'], env)).code).toBe(2);
    expect((await cli(['no-such-command'], env)).code).toBe(2);
    const shim = await cli(['deletions', 'upcoming', '--limit', 'many'], env, ['bin/billing-enforcer']);
    expect(shim.code).toBe(2);
    expect(shim.stderr).toContain('--limit');
    expect((await cli(['--help'], {}, ['bin/billing-enforcer'])).code).toBe(0);
  });

  it('missing configuration exits 78 naming the variable; only the settings a command uses are required', async () => {
    const { MONGODB_URI: _unset, ...withoutMongo } = env;
    const run = await cli(['status', first.subscriptionId], withoutMongo);
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('MONGODB_URI');
    // `deletions` reads MongoDB only: no Kafka or Redis settings needed.
    const { KAFKA_BROKERS: _kafka, REDIS_URL: _redis, ...mongoOnly } = env;
    expect((await cli(['deletions', 'upcoming', '--json'], mongoOnly)).code).toBe(0);
  });

  it('an unavailable service exits 69, with no credentials in the message', async () => {
    const run = await cli(['reconcile'], { ...env, REDIS_URL: `redis://:s3cret-pass@127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(69);
    expect(run.stderr).toContain('Redis');
    expect(run.stderr).not.toContain('s3cret-pass');
  });

  it('npm run stack -- status --json on a stack that is not running exits 69 and says down; down stops nothing there', async () => {
    const stackCli = ['npx', 'tsx', 'tools/stack/main.ts'];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-stack-'));
    try {
      const ports = {
        STACK_KAFKA_PORT: String(await freePort()),
        STACK_KAFKA_CONTROLLER_PORT: String(await freePort()),
        STACK_MONGO_PORT: String(await freePort()),
        STACK_REDIS_PORT: String(await freePort()),
      };
      const run = await cli(['status', '--json'], { STACK_DIR: dir, ...ports }, stackCli);
      expect(run.code).toBe(69);
      const body = run.json() as { state: string; services: { name: string; state: string }[] };
      expect(body.state).toBe('down');
      expect(body.services.map((service) => service.state)).toEqual(['down', 'down', 'down']);

      // `down` on that stack finds nothing of its own to stop (it stops only pids it recorded) and says so.
      const down = await cli(['down', '--json'], { STACK_DIR: dir, ...ports }, stackCli);
      expect(down.code).toBe(0);
      expect(down.json()).toMatchObject({ state: 'down', services: [{ stopped: false }, { stopped: false }, { stopped: false }] });

      // Development tooling stays out of the product's CLI (and its image).
      const product = await cli(['stack', 'status'], { STACK_DIR: dir, ...ports });
      expect(product.code).toBe(2);
      expect(product.stderr).toContain("unknown command 'stack'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
