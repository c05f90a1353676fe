import { runCli } from '../../src/cli/program';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, suspendRequested, type Ids } from '../support/events';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

const DAY_MS = 86_400_000;

async function cli(args: readonly string[], env: Record<string, string>): Promise<{ code: number; json: unknown }> {
  let stdout = '';
  const code = await runCli(args, {
    stdout: { write: (text) => ((stdout += text), true) },
    stderr: { write: () => true },
    env,
    clock: Date.now,
    exit: () => undefined,
  });
  return { code, json: JSON.parse(stdout) as unknown };
}

interface Listing {
  readonly items: readonly { subscriptionId: string }[];
  readonly dueBefore: string;
}

/**
 * "Upcoming deletions" reach as far as the configured delay (bug: every view stopped at 60 days, so with
 * DELETION_DELAY=P90D a fresh suspension, due in 90 days, was missing from all of them).
 */
describe('upcoming deletions follow DELETION_DELAY', () => {
  let h: Harness;
  let ids: Ids;
  let dueAt: number;

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'P90D', DELETION_REMINDERS: 'P7D' });
    ids = newIds('window');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await eventually(async () =>
      expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1)))?.getState()).toBe('delayed'),
    );
    dueAt = (await h.app.subscriptions.get(ids.subscriptionId))?.state.deletion?.dueAt ?? 0;
    expect(dueAt).toBeGreaterThan(Date.now() + 89 * DAY_MS);
  });
  afterAll(async () => {
    await h.stop();
  });

  const listed = (listing: Listing) => listing.items.map((item) => item.subscriptionId);
  /** Where a default listing stopped: 90 whole days from about now, past the subscription's due date. */
  const expectNinetyDays = (listing: Listing) => {
    const end = Date.parse(listing.dueBefore);
    expect(end).toBeGreaterThan(dueAt);
    expect(end).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS);
  };

  it('GET /v1/deletions, with no dueBefore, lists it and says where it stopped', async () => {
    const response = await fetch(`${h.baseUrl}/v1/deletions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as Listing;
    expect(listed(page)).toEqual([ids.subscriptionId]);
    expectNinetyDays(page);
  });

  it('the console forecasts 90 days and lists it among the next deletions', async () => {
    const response = await fetch(`${h.baseUrl}/admin`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    const page = await response.text();
    // One bar per UTC day the 90 days touch: 91 unless it is midnight.
    expect(page).toMatch(/Deletions due per day · next 9[01] days/);
    expect(page).toContain(`data-subscription="${ids.subscriptionId}"`);
  });

  it('the CLI, reading MongoDB with the same DELETION_DELAY, lists it by default', async () => {
    const run = await cli(['--json', 'deletions', 'upcoming'], { MONGODB_URI: h.app.config.MONGODB_URI, DELETION_DELAY: 'P90D' });
    expect(run.code).toBe(0);
    expect(listed(run.json as Listing)).toEqual([ids.subscriptionId]);
    expectNinetyDays(run.json as Listing);
  });

  it('the CLI with --api lists it by default, in the window the worker chose', async () => {
    const run = await cli(['--api', h.baseUrl, '--json', 'deletions', 'upcoming'], { BILLING_ENFORCER_API_TOKEN: ADMIN_TOKEN });
    expect(run.code).toBe(0);
    expect(listed(run.json as Listing)).toEqual([ids.subscriptionId]);
    expectNinetyDays(run.json as Listing);
  });
});
