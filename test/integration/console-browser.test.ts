import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { deletionJobId } from '../../src/queue/timer-jobs';
import { newIds, paymentOverdue, suspendRequested, type Ids } from '../support/events';
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
const OPERATOR = 'Ada Lovelace';
const SIGN_IN_LIMIT = 6;

/**
 * Every control on the page has a label, and Tab reaches every link, button and field in turn: the console works
 * from the keyboard and with a screen reader. Returns what is wrong, so the failure names the control.
 */
// Runs in the page (a string, as this project compiles without the DOM's types): what is wrong, and numbers every
// link, button and field (`data-a11y`) so the Tab walk below can tell which it reached.
const LABEL_AND_FOCUS_CHECK = `(() => {
  const found = [];
  const describe = (element) => element.tagName.toLowerCase() + '#' + element.id + '[name=' + (element.getAttribute('name') || '') + ']';
  for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    // A label names its control by id; a duplicate id would hand the label to another element.
    const labelled = (control.id !== '' && document.getElementById(control.id) === control
        && document.querySelector('label[for="' + control.id + '"]') !== null)
      || control.closest('label') !== null || control.getAttribute('aria-label') !== null;
    if (!labelled) found.push('unlabelled ' + describe(control));
  }
  for (const clickable of document.querySelectorAll('[onclick], div[role=button], span[role=button]'))
    found.push('action that is not a link or button: ' + describe(clickable));
  document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea').forEach((element, index) => {
    element.setAttribute('data-a11y', String(index));
    if (element.getAttribute('tabindex') === '-1' || element.disabled) found.push('not focusable: ' + describe(element));
  });
  return found;
})()`;

/**
 * Every control on the page has a label, and Tab reaches every link, button and field in turn: the console works
 * from the keyboard and with a screen reader. Returns what is wrong, so the failure names the control.
 */
async function accessibilityProblems(page: Page): Promise<string[]> {
  const problems = await page.evaluate<string[]>(LABEL_AND_FOCUS_CHECK);
  const total = await page.locator('[data-a11y]').count();
  const reached = new Set<string>();
  await page.locator('body').focus();
  for (let press = 0; press < total + 5; press++) {
    await page.keyboard.press('Tab');
    const index = await page.evaluate<string | null>(`document.activeElement?.getAttribute('data-a11y') ?? null`);
    if (index !== null) reached.add(index);
  }
  for (let index = 0; index < total; index++)
    if (!reached.has(String(index))) {
      problems.push(`not reached by Tab: ${await page.locator(`[data-a11y="${index}"]`).first().innerText()}`);
    }
  return problems;
}

describe('the ops console in a browser', () => {
  let h: Harness;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let ids: Ids;
  let dlqIds: Ids;
  let letterId: string;
  let dlqEvent: { key: string; value: string };

  const url = (pathname: string) => `${h.baseUrl}${pathname}`;
  const shot = async (name: string) => {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const checkAccessible = async () => {
    expect(await accessibilityProblems(page)).toEqual([]);
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: scripts/test.sh installs it when run as root; else apt-get install -y --no-install-recommends chromium`,
      );
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = await startWorker({
      DELETION_DELAY: 'P12D',
      DELETION_REMINDERS: 'P7D,P1D',
      ADMIN_SIGNIN_ATTEMPTS: String(SIGN_IN_LIMIT),
      CONSOLE_LAG_SAMPLE_INTERVAL: 'PT1S',
    });

    // A suspension through Kafka schedules the deletion the console must show; a bad message gives the DLQ one letter.
    ids = newIds('console');
    dlqIds = newIds('letter');
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    // The event cut short, with an escape sequence: a correction must keep the identity it still shows.
    dlqEvent = paymentOverdue(dlqIds, 'inv-fixed');
    await h.produce(h.topics.payments, [{ key: dlqIds.subscriptionId, value: `${dlqEvent.value.slice(0, -2)}\u001b[31m` }]);
    await eventually(async () =>
      expect(await (await h.app.queue.getJob(deletionJobId(ids.subscriptionId, 1)))?.getState()).toBe('delayed'),
    );
    const [letter] = await eventually(async () => {
      const page = await h.app.deadLetterStore.list({}, { limit: 10 });
      expect(page.items).toHaveLength(1);
      return page.items;
    });
    letterId = letter?.id ?? '';

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

  it('offers the sign-in form in place of every page, and refuses a wrong token', async () => {
    for (const pathname of ['/admin', '/admin/health', `/admin/subscriptions/${ids.subscriptionId}`, '/admin/queues']) {
      const response = await page.goto(url(pathname));
      expect(response?.status()).toBe(401);
      await expect(page.locator('input[name=token]').count()).resolves.toBe(1);
      expect(await page.content()).not.toContain(ids.customerId);
    }
    await shot('console-login');
    await checkAccessible();
    await page.fill('input[name=name]', OPERATOR);
    await page.fill('input[name=token]', 'not-the-admin-token');
    const [response] = await Promise.all([page.waitForResponse(url('/admin/login')), page.click('button[type=submit]')]);
    expect(response.status()).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not accepted');
    expect((await context.cookies()).filter((cookie) => cookie.name === 'be_admin')).toEqual([]);
  });

  it('signs in with a name and the token, and shows the overview', async () => {
    await page.goto(url('/admin'));
    await page.fill('input[name=name]', OPERATOR);
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(url('/admin')), page.click('button[type=submit]')]);
    const [cookie] = (await context.cookies()).filter((candidate) => candidate.name === 'be_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(cookie?.value).not.toContain(ADMIN_TOKEN);
    await expect(page.locator('header').textContent()).resolves.toContain(`signed in as ${OPERATOR}`);
    await expect(page.locator('[data-status=suspended] .big').textContent()).resolves.toBe('1');
    await expect(page.locator('#dead-letters .big').textContent()).resolves.toBe('1');
    await shot('console-overview');
    await checkAccessible();
  });

  it('searches by customer, opens the subscription and reads its timeline and lifecycle events', async () => {
    await page.fill('input[name=q]', ids.customerId);
    await Promise.all([page.waitForURL(/\/admin\/search\?q=/), page.getByRole('button', { name: 'Search' }).click()]);
    const row = page.locator(`tr[data-subscription="${ids.subscriptionId}"]`);
    await expect(row.locator('td').nth(4).textContent()).resolves.toBe('customer');
    await shot('console-search');
    await checkAccessible();

    await Promise.all([page.waitForURL(url(`/admin/subscriptions/${ids.subscriptionId}`)), row.getByRole('link').click()]);
    await expect(page.locator('[data-field=status]').textContent()).resolves.toBe('suspended');
    await expect(page.locator('[data-field=holds]').textContent()).resolves.toContain('customer_request');
    await expect(page.locator('[data-field=deletion]').textContent()).resolves.toContain('in 11 d');
    // The timer with its job's state in Redis, and the audit line of the Kafka event.
    await expect(page.locator('#timeline tr[data-kind=timer][data-job-state=delayed]').count()).resolves.toBe(3);
    await expect(page.locator('#timeline tr[data-kind=audit]').first().textContent()).resolves.toContain('suspend-requested');
    const events = await page.locator('#lifecycle tr[data-event]').all();
    await expect(Promise.all(events.map((row) => row.getAttribute('data-event')))).resolves.toEqual([
      'subscription.hold-added',
      'subscription.suspended',
      'subscription.deletion-scheduled',
    ]);
    await shot('console-subscription');
    await checkAccessible();

    // An exact subscription id goes straight to its page.
    await page.goto(url(`/admin/search?q=${ids.subscriptionId}`));
    expect(page.url()).toBe(url(`/admin/subscriptions/${ids.subscriptionId}`));
  });

  it('places a legal hold with a reason, under the signed-in name, and releases it', async () => {
    const subscriptionPage = url(`/admin/subscriptions/${ids.subscriptionId}`);
    await page.goto(subscriptionPage);
    const place = page.locator('form[data-action=legal-hold-set]');
    await place.getByLabel('Reason').fill('litigation LX-7');
    await Promise.all([page.waitForURL(/done=legal-hold-set/), place.getByRole('button').click()]);
    await expect(page.getByRole('status').textContent()).resolves.toBe('Legal hold placed.');
    await expect(page.locator('[data-field=legal-hold]').textContent()).resolves.toContain(`by ${OPERATOR}`);
    await expect(page.locator('[data-field=deletion]').textContent()).resolves.toContain('paused by the legal hold');
    const held = (await h.app.subscriptions.get(ids.subscriptionId))?.state.legalHold;
    expect(held).toMatchObject({ actor: OPERATOR, reason: 'litigation LX-7' });
    await shot('console-legal-hold');

    const release = page.locator('form[data-action=legal-hold-release]');
    await release.getByLabel('Reason').fill('LX-7 settled');
    await Promise.all([page.waitForURL(/done=legal-hold-release/), release.getByRole('button').click()]);
    await expect(page.getByRole('status').textContent()).resolves.toBe('Legal hold released.');
    expect((await h.app.subscriptions.get(ids.subscriptionId))?.state.legalHold).toBeNull();
    const trail = await h.app.audit.trail(ids.subscriptionId);
    expect(trail.filter((record) => record.actor.kind === 'operator').map((record) => [record.type, record.actor.id, record.note])).toEqual(
      [
        ['legal-hold-set', OPERATOR, 'litigation LX-7'],
        ['legal-hold-released', OPERATOR, 'LX-7 settled'],
      ],
    );
    // The page verifies the audit chain it shows, then names the first broken link once a record is changed.
    await expect(page.locator('#audit-chain').getAttribute('data-verified')).resolves.toBe('yes');
    await expect(page.locator('#audit-chain').textContent()).resolves.toContain('audit chain intact');
    const edited = trail.find((record) => record.type === 'legal-hold-set')!;
    await h.app.connection.collection('audit_records').updateOne({ _id: edited._id as never }, { $set: { note: 'nothing to see' } });
    await page.reload();
    await expect(page.locator('#audit-chain').getAttribute('data-verified')).resolves.toBe('no');
    await expect(page.locator('#audit-chain').textContent()).resolves.toContain(`(edited): record ${edited._id}`);
  });

  it('refuses a state-changing form without our Origin or without the session CSRF token (403)', async () => {
    await page.goto(url(`/admin/subscriptions/${ids.subscriptionId}`));
    const csrf = await page.locator('form[data-action=legal-hold-set] input[name=csrf]').inputValue();
    const post = (headers: Record<string, string>, token: string) =>
      page.request.post(url(`/admin/subscriptions/${ids.subscriptionId}/actions`), {
        form: { action: 'legal-hold-set', reason: 'forged?', csrf: token },
        headers,
        maxRedirects: 0,
      });
    expect((await post({ origin: 'http://evil.example' }, csrf)).status()).toBe(403);
    expect((await post({}, csrf)).status()).toBe(403);
    expect((await post({ origin: h.baseUrl }, 'not-the-token')).status()).toBe(403);
    expect((await post({ origin: h.baseUrl }, '')).status()).toBe(403);
    // Nothing was applied by the refused requests; the genuine one is.
    expect((await h.app.audit.trail(ids.subscriptionId)).filter((record) => record.note === 'forged?')).toEqual([]);
    expect((await post({ origin: h.baseUrl }, csrf)).status()).toBe(303);
    expect((await h.app.audit.trail(ids.subscriptionId)).filter((record) => record.note === 'forged?')).toHaveLength(1);
  });

  it('lists dead letters, shows one with its bytes, refuses a bad correction and replays a good one', async () => {
    await page.goto(url('/admin/dead-letters'));
    await page.selectOption('select[name=status]', 'pending');
    await Promise.all([page.waitForURL(/status=pending/), page.getByRole('button', { name: 'Filter' }).click()]);
    const row = page.locator(`tr[data-letter="${letterId}"]`);
    await expect(row.textContent()).resolves.toContain('INVALID_JSON');
    await shot('console-dead-letters');
    await checkAccessible();

    await Promise.all([page.waitForURL(url(`/admin/dead-letters/${letterId}`)), row.getByRole('link').click()]);
    // The escape character is spelled out, never sent to the page as is; the bytes are there in hex.
    await expect(page.locator('[data-field=text]').textContent()).resolves.toBe(`${dlqEvent.value.slice(0, -2)}\\u001b[31m`);
    await expect(page.locator('[data-field=hex]').textContent()).resolves.toContain('1b 5b 33 31');
    await shot('console-dead-letter');
    await checkAccessible();

    const corrected = page.locator('form[data-action=replay-corrected]');
    await corrected.getByLabel(/Corrected value/).fill('{"still": "not an event"}');
    const [refused] = await Promise.all([page.waitForResponse(url('/admin/dead-letters/replay')), corrected.getByRole('button').click()]);
    expect(refused.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('would be dead-lettered again');
    await expect(page.locator('[data-field=status]').textContent()).resolves.toContain('pending');

    await page
      .locator('form[data-action=replay-corrected]')
      .getByLabel(/Corrected value/)
      .fill(dlqEvent.value);
    await Promise.all([page.waitForURL(/replayed=1/), page.locator('form[data-action=replay-corrected]').getByRole('button').click()]);
    await expect(page.getByRole('status').textContent()).resolves.toBe('1 replayed, 0 skipped.');
    await expect(page.locator('[data-field=status]').textContent()).resolves.toContain(`by ${OPERATOR}`);
    await eventually(async () => expect((await h.app.subscriptions.get(dlqIds.subscriptionId))?.state.status).toBe('suspended'));
  });

  it('replays a filtered selection', async () => {
    // A second bad message, replayed as it is by filter: it fails again and comes back as a new letter.
    await h.produce(h.topics.fraud, [{ key: 'x', value: 'not json either' }]);
    await eventually(async () => expect(await h.app.deadLetterStore.count({ status: 'pending', sourceTopic: h.topics.fraud })).toBe(1));
    await page.goto(url(`/admin/dead-letters?sourceTopic=${encodeURIComponent(h.topics.fraud)}&status=pending`));
    await Promise.all([page.waitForURL(/replayed=1/), page.locator('#replay-filter').getByRole('button').click()]);
    await expect(page.getByRole('status').textContent()).resolves.toBe('1 replayed, 0 skipped.');
    expect(await h.app.deadLetterStore.count({ status: 'replayed', sourceTopic: h.topics.fraud })).toBe(1);
  });

  it('shows health at a glance, refreshing itself', async () => {
    await page.goto(url('/admin/health'));
    await expect(page.locator('meta[http-equiv=refresh]').getAttribute('content')).resolves.toBe('30');
    await expect(page.locator('#lag tbody tr').count()).resolves.toBe(9); // three inbound topics of three partitions
    await expect(page.locator('#outbox .big').textContent()).resolves.toBe('0');
    await expect(page.locator('#pending-dead-letters .big').textContent()).resolves.toMatch(/^\d+$/);
    await expect(page.locator('#failed-timers .big').textContent()).resolves.toBe('0');
    await expect(page.locator('#reconcile').textContent()).resolves.toMatch(/done|No reconciliation/);
    await shot('console-health');
    await checkAccessible();
  });

  it('keeps Bull Board read-only: destructive actions are refused, and need our Origin anyway', async () => {
    // Releasing the legal hold rescheduled the deletion: the timer's job is of a later generation now.
    const generation = (await h.app.subscriptions.get(ids.subscriptionId))?.state.deletion?.generation ?? 0;
    const jobId = deletionJobId(ids.subscriptionId, generation);
    await page.goto(url(`/admin/queues/queue/${h.app.queue.name}?status=delayed`));
    await page.getByText(jobId).first().waitFor();
    await shot('console-bull-board');
    const api = (action: string, origin: string) =>
      page.request.put(url(`/admin/queues/api/queues/${h.app.queue.name}/${action}`), { headers: { origin }, data: {} });
    expect((await api('obliterate', h.baseUrl)).status()).toBe(405);
    expect((await api('clean/delayed', h.baseUrl)).status()).toBe(405);
    expect((await api('obliterate', 'http://evil.example')).status()).toBe(403);
    expect(await (await h.app.queue.getJob(jobId))?.getState()).toBe('delayed');
  });

  it('logs out, after which the pages refuse again', async () => {
    await page.goto(url('/admin'));
    await Promise.all([page.waitForURL(url('/admin/login')), page.getByRole('button', { name: 'Log out' }).click()]);
    expect((await page.goto(url('/admin')))?.status()).toBe(401);
  });

  it('rate limits sign-in attempts per client (429), the right token included', async () => {
    const signIn = (token: string) =>
      fetch(url('/admin/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.baseUrl },
        body: new URLSearchParams({ name: 'guesser', token }),
        redirect: 'manual',
      });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < SIGN_IN_LIMIT; attempt++) statuses.push((await signIn('wrong-token-0123456789')).status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    const limited = await signIn(ADMIN_TOKEN);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('set-cookie')).toBeNull();
  });
});

describe('the console with no ADMIN_TOKEN configured', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ ADMIN_TOKEN: '' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('is off (404), never open, even to a bearer token or the sign-in form', async () => {
    const answers = await Promise.all(
      ['/admin', '/admin/login', '/admin/health', '/admin/queues', '/admin/queues/api/queues'].map(
        async (pathname) => (await fetch(`${h.baseUrl}${pathname}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status,
      ),
    );
    expect(answers).toEqual([404, 404, 404, 404, 404]);
    const login = await fetch(`${h.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.baseUrl },
      body: new URLSearchParams({ name: 'x', token: ADMIN_TOKEN }),
      redirect: 'manual',
    });
    expect(login.status).toBe(404);
    expect(login.headers.get('set-cookie')).toBeNull();
  });
});

describe('Bull Board with BULL_BOARD_DESTRUCTIVE=true', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWorker({ BULL_BOARD_DESTRUCTIVE: 'true' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('lets its queue-changing actions through (the read-only default refuses them with 405)', async () => {
    const clean = await fetch(`${h.baseUrl}/admin/queues/api/queues/${h.app.queue.name}/clean/completed`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(clean.status).toBe(200);
  });
});
