import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, paymentOverdue, suspendRequested, type Ids } from '../support/events';
import { runCliHere } from '../support/cli-run';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

/**
 * The CLI in this process, with an environment that holds no MongoDB, Redis or Kafka settings at all: whatever it
 * does, it can only have done through the worker's HTTP API.
 */
const cli = (args: readonly string[], env: Record<string, string> = { BILLING_ENFORCER_API_TOKEN: ADMIN_TOKEN }) => runCliHere(args, env);

describe('the CLI with --api (no database credentials)', () => {
  let h: Harness;
  let ids: Ids;
  let api: string[];

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'P12D', DELETION_REMINDERS: 'P7D' });
    api = ['--api', h.baseUrl];
    ids = newIds('cli-api');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () =>
      expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1)))?.getState()).toBe('delayed'),
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  it('shows a subscription, its timer with its job state and its audit lines', async () => {
    const run = await cli([...api, '--json', 'status', ids.subscriptionId]);
    expect(run.code).toBe(0);
    const document = run.json() as { subscription: { status: string }; scheduled: { kind: string; jobState: string }[]; audit: unknown[] };
    expect(document.subscription.status).toBe('suspended');
    expect(document.scheduled.map((timer) => [timer.kind, timer.jobState])).toEqual([
      ['deletion', 'delayed'],
      ['reminder', 'delayed'],
    ]);
    expect(document.audit).toHaveLength(1);
    const human = await cli([...api, 'status', ids.subscriptionId]);
    expect(human.stdout).toMatch(new RegExp(`^${ids.subscriptionId}  suspended`));
    expect(human.stdout).toContain('suspend-requested');
  });

  it('sets and releases a legal hold, and refuses a second one (exit 4), through the API', async () => {
    const set = await cli([...api, 'legal-hold', 'set', ids.subscriptionId, '--reason', 'case 9', '--actor', 'counsel']);
    expect(set.code).toBe(0);
    expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.legalHold).toMatchObject({ actor: 'counsel', reason: 'case 9' });
    const again = await cli([...api, 'legal-hold', 'set', ids.subscriptionId, '--reason', 'case 9', '--actor', 'counsel']);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('already under legal hold');
    const release = await cli([...api, '--json', 'legal-hold', 'release', ids.subscriptionId, '--reason', 'settled', '--actor', 'counsel']);
    expect(release.code).toBe(0);
    expect((release.json() as { changes: string }).changes).toContain('legal-hold-released');
    expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.legalHold).toBeNull();
  });

  it('lists upcoming deletions', async () => {
    const run = await cli([...api, '--json', 'deletions', 'upcoming', '--before', 'P30D']);
    expect(run.code).toBe(0);
    const { items } = run.json() as { items: { subscriptionId: string; inProgress: boolean }[] };
    expect(items).toEqual([expect.objectContaining({ subscriptionId: ids.subscriptionId, inProgress: false })]);
  });

  it('lists dead letters with control characters escaped, and replays one with a corrected value', async () => {
    const bad = newIds('cli-api-dlq');
    const badEvent = paymentOverdue(bad, 'inv-1');
    // An escape sequence and a right-to-left override, in a key and a value: neither may reach the terminal. The second
    // letter's key is the subscription's, so a corrected value can fix it.
    const hostileKey = `${bad.subscriptionId}\u001b[2J\u202e`;
    await h.produce(h.topics.payments, [
      { key: hostileKey, value: '{"oops\u0085\u001b]0;pwned\u0007' },
      // The event cut short, with a bidi override: a correction must keep the identity it still shows.
      { key: bad.subscriptionId, value: `${badEvent.value.slice(0, -2)}\u202e` },
    ]);
    const letters = await eventually(async () => {
      const page = await h.app.deadLetterStore.list({ sourceTopic: h.topics.payments }, { limit: 10 });
      expect(page.items).toHaveLength(2);
      return page.items;
    });
    const id = letters.find((letter) => letter.key === bad.subscriptionId)?.id ?? '';
    const hostileId = letters.find((letter) => letter.key === hostileKey)?.id ?? '';

    const human = await cli([...api, 'dlq', 'list', '--status', 'pending']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(hostileId);
    expect(human.stdout).toContain('\\u001b[2J\\u202e');
    // eslint-disable-next-line no-control-regex -- what must not be printed
    expect(human.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    const json = await cli([...api, '--json', 'dlq', 'list', '--with-values']);
    // eslint-disable-next-line no-control-regex -- JSON escapes them too, C1 and bidi included
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    const listed = (json.json() as { items: { id: string; key: string; value: string }[] }).items;
    expect(listed.find((entry) => entry.id === hostileId)?.key).toBe(hostileKey);

    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = `${mkdtempSync(`${tmpdir()}/cli-api-`)}/value.json`;
    writeFileSync(file, '{"still": "wrong"}');
    const refused = await cli([...api, 'dlq', 'replay', '--id', id, '--value-file', file, '--actor', 'ops']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('would be dead-lettered again');
    writeFileSync(file, badEvent.value);
    const replayed = await cli([...api, '--json', 'dlq', 'replay', '--id', id, '--value-file', file, '--actor', 'ops']);
    expect(replayed.code).toBe(0);
    expect(replayed.json()).toEqual({ replayed: 1, skipped: 0, failed: [], actor: 'ops' });
    await eventually(async () => expect((await h.app.subscriptions.get(bad.subscriptionId))?.state.status).toBe('suspended'));
    expect((await h.app.deadLetterStore.get(id))?.replayedBy).toBe('ops');
  });

  it('answers with the exit codes of direct access: not found 3, bad token 78, API away 69', async () => {
    expect((await cli([...api, 'status', 'no-such-subscription'])).code).toBe(3);
    const wrong = await cli([...api, 'status', ids.subscriptionId], { BILLING_ENFORCER_API_TOKEN: 'not-the-token-0123456789' });
    expect(wrong.code).toBe(78);
    expect(wrong.stderr).toContain('403');
    expect((await cli([...api, '--token', ADMIN_TOKEN, 'status', ids.subscriptionId], {})).code).toBe(0);
    expect((await cli([...api, 'status', ids.subscriptionId], {})).code).toBe(78);
    expect((await cli(['--api', 'http://127.0.0.1:1', 'status', ids.subscriptionId])).code).toBe(69);
  });

  it('refuses --api for what needs the stores themselves (reconcile)', async () => {
    const run = await cli([...api, 'reconcile']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--api does not apply');
  });
});
