import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, suspendRequested, type Ids } from '../support/events';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling out, and this machine's closed network refuses it.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.resolve(__dirname, '../../test-output');

/** The admin pages as an operator's browser sees them: Debian's Chromium, driven by playwright-core. */
describe('admin pages in a browser', () => {
  let h: Harness;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let ids: Ids;
  let dueDay: string;

  const url = (pathname: string) => `${h.baseUrl}${pathname}`;
  const shot = async (name: string) => {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: scripts/test.sh installs it when run as root; else apt-get install -y --no-install-recommends chromium`,
      );
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = await startWorker({ DELETION_DELAY: 'P12D', DELETION_REMINDERS: 'P7D,P1D' });

    // A suspension through Kafka schedules the deletion both pages must show; a bad message gives the DLQ one letter.
    ids = newIds('browser');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    await h.produce(h.topics.payments, [{ key: ids.subscriptionId, value: '{"not json' }]);
    await eventually(async () =>
      expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1)))?.getState()).toBe('delayed'),
    );
    await eventually(() => expect(h.deadLetters).toHaveLength(1));
    const dueAt = (await h.app.subscriptions.get(ids.subscriptionId))?.state.deletion?.dueAt ?? 0;
    dueDay = new Date(dueAt).toISOString().slice(0, 10);

    // A fresh profile each run, as on a new machine; playwright wants it as the persistent context's directory.
    profile = mkdtempSync(path.join(tmpdir(), 'be-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await h.stop();
  });

  it('refuses /admin and /admin/queues without the token, offering the sign-in form instead', async () => {
    for (const pathname of ['/admin', '/admin/queues', `/admin/queues/queue/${h.app.queue.name}?status=delayed`]) {
      const response = await page.goto(url(pathname));
      expect(response?.status()).toBe(401);
      await expect(page.locator('input[name=token]').count()).resolves.toBe(1);
      expect(await page.content()).not.toContain(ids.subscriptionId);
    }
    await shot('admin-login');
    // Bull Board's API behind the pages, asked directly with this browser's (absent) credentials.
    expect((await page.request.get(url('/admin/queues/api/queues'))).status()).toBe(401);
  });

  it('refuses a wrong token at the form and a wrong bearer token', async () => {
    await page.goto(url('/admin/login'));
    await page.fill('input[name=token]', 'not-the-admin-token');
    const [response] = await Promise.all([page.waitForResponse(url('/admin/login')), page.click('button[type=submit]')]);
    expect(response.status()).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not accepted');
    expect((await context.cookies()).filter((cookie) => cookie.name === 'be_admin')).toEqual([]);
    const wrong = await page.request.get(url('/admin'), { headers: { authorization: 'Bearer not-the-admin-token' } });
    expect(wrong.status()).toBe(403);
  });

  it('signs in with the token and shows the delayed deletion job in Bull Board', async () => {
    await page.goto(url('/admin/queues'));
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(url('/admin/queues')), page.click('button[type=submit]')]);

    const [cookie] = (await context.cookies()).filter((candidate) => candidate.name === 'be_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(cookie?.value).not.toContain(ADMIN_TOKEN);

    await page.goto(url(`/admin/queues/queue/${h.app.queue.name}?status=delayed`));
    const jobId = deletionJobId(ids.subscriptionId, 1);
    await page.getByText(jobId).first().waitFor();
    await shot('admin-bull-board-delayed');
  });

  it('shows the ops page: statuses, the deletion on its day, the dead letter and the job', async () => {
    const response = await page.goto(url('/admin'));
    expect(response?.status()).toBe(200);
    await expect(page.locator('[data-status=suspended] .big').textContent()).resolves.toBe('1');
    await expect(page.locator('#dead-letters .big').textContent()).resolves.toBe('1');
    const { delayed = 0 } = await h.app.queue.getJobCounts('delayed');
    expect(delayed).toBeGreaterThanOrEqual(1); // the timer job, besides any repeatable job
    await expect(page.locator('#queues [data-state=delayed] b').textContent()).resolves.toBe(String(delayed));
    // The chart's bar for the due day, and the soonest-deletions table linking to the job in Bull Board.
    await expect(page.locator('#forecast svg rect.bar title').allTextContents()).resolves.toEqual([`${dueDay}: 1 deletion`]);
    const row = page.locator(`tr[data-subscription="${ids.subscriptionId}"]`);
    await expect(row.locator('td').nth(3).textContent()).resolves.toContain(dueDay);
    await shot('admin-ops');

    await row.locator('a').click();
    await page.waitForURL(`**/admin/queues/queue/${h.app.queue.name}/${deletionJobId(ids.subscriptionId, 1)}`);
    // Bull Board's job page, showing the job (its id; the data is empty by design).
    await page.getByText(deletionJobId(ids.subscriptionId, 1)).first().waitFor();
  });

  it('logs out, after which the pages refuse again; a bearer header works without any session', async () => {
    await page.goto(url('/admin'));
    await Promise.all([page.waitForURL(url('/admin/login')), page.getByRole('button', { name: 'Log out' }).click()]);
    expect((await context.cookies()).filter((cookie) => cookie.name === 'be_admin' && cookie.value !== '')).toEqual([]);
    expect((await page.goto(url('/admin')))?.status()).toBe(401);

    await context.setExtraHTTPHeaders({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect((await page.goto(url('/admin')))?.status()).toBe(200);
    expect((await page.goto(url('/admin/queues')))?.status()).toBe(200);
    await context.setExtraHTTPHeaders({});
  });
});

describe('admin pages with no ADMIN_TOKEN configured', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ ADMIN_TOKEN: '' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('are off (404), never open, even to a bearer token or the sign-in form', async () => {
    const answers = await Promise.all(
      ['/admin', '/admin/login', '/admin/queues', '/admin/queues/api/queues'].map(
        async (pathname) => (await fetch(`${h.baseUrl}${pathname}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status,
      ),
    );
    expect(answers).toEqual([404, 404, 404, 404]);
    const login = await fetch(`${h.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      redirect: 'manual',
    });
    expect(login.status).toBe(404);
    expect(login.headers.get('set-cookie')).toBeNull();
  });
});
