import { randomUUID } from 'node:crypto';

import type { previewView, versionView } from '../../src/http/policy.routes';
import type { subscriptionView } from '../../src/http/subscription-view';
import { replanTenants } from '../../src/use-cases/tenant-policies';
import { sightTimerJobs } from '../../src/queue/timer-inspection';
import { deletionJobId } from '../../src/queue/timer-jobs';
import { apiClient, type Call } from '../support/api-client';
import { runCliHere } from '../support/cli-run';
import { newIds, suspendRequested, type Ids } from '../support/events';
import { ADMIN_TOKEN, eventually, startWorker, type Harness } from '../support/worker-harness';

type PreviewBody = ReturnType<typeof previewView>;
type SetBody = { version: ReturnType<typeof versionView>; replanned: number };
type View = ReturnType<typeof subscriptionView>;

const DAY_MS = 86_400_000;
const operator = { actor: 'newcomer@ops.example', reason: 'market moves to 90 days (ticket POL-1)' };

/**
 * The holdout of issue 18: a newcomer changes a tenant's delay from 60 to 90 days and back, previews first each time,
 * and every pending deletion lands where the preview said; the promise rule holds on the way back.
 */
describe('tenant policy: 60 -> 90 -> 60 days, previewed, on the real stack', () => {
  let h: Harness;
  let call: Call;
  const tenantId = `tenant-${randomUUID().slice(0, 8)}`;
  const ours: Ids[] = [0, 1, 2].map(() => ({ ...newIds('pol'), tenantId }));
  const other: Ids = { ...newIds('pol'), tenantId: `other-${randomUUID().slice(0, 8)}` };

  beforeAll(async () => {
    h = await startWorker({ DELETION_DELAY: 'P60D', DELETION_REMINDERS: 'P30D,P7D,P1D', TENANT_POLICY_REFRESH: 'PT1S' });
    call = apiClient(h.baseUrl, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await h.stop();
  });

  const view = async (ids: Ids): Promise<View> => {
    const answer = await call<View>('GET', `/v1/subscriptions/${ids.subscriptionId}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const settledSuspended = (ids: Ids) =>
    eventually(async () => {
      const stored = await h.app.subscriptions.get(ids.subscriptionId);
      expect([stored?.state.status, (await h.app.commits.owing([ids.subscriptionId])).size]).toEqual(['suspended', 0]);
      return stored?.state ?? null;
    });
  /** When the subscription's current timer job will next run, as Redis holds it; and whether its previous generation's is gone. */
  const jobOf = async (ids: Ids) => {
    const state = (await h.app.subscriptions.get(ids.subscriptionId))?.state;
    const generation = state?.deletion?.generation ?? 0;
    const [current, previous] = await sightTimerJobs(h.app.queue, [
      deletionJobId(ids.subscriptionId, generation),
      deletionJobId(ids.subscriptionId, generation - 1),
    ]);
    return { delayedUntil: current?.delayedUntil ?? null, previousExists: previous?.exists ?? false };
  };
  const preview = async (policy: object, applyToPending = false) => {
    const answer = await call<PreviewBody>('POST', `/v1/tenants/${tenantId}/policy/preview`, { body: { policy, applyToPending } });
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const set = async (policy: object, applyToPending = false) => {
    const answer = await call<SetBody>('POST', `/v1/tenants/${tenantId}/policy`, { body: { policy, applyToPending, ...operator } });
    expect(answer.status).toBe(201);
    return answer.body;
  };

  it('moves every pending deletion and reminder exactly where the preview said, and keeps 90 days on the way back', async () => {
    for (const ids of [...ours, other]) await h.produce(h.topics.customer, [suspendRequested(ids)]);
    const before = new Map<string, View>();
    for (const ids of [...ours, other]) {
      await settledSuspended(ids);
      before.set(ids.subscriptionId, await view(ids));
    }
    expect(before.get(ours[0]?.subscriptionId ?? '')?.deletion?.policyVersion).toBe(0);

    // Preview 90 days: each of the tenant's three moves 30 days later; the other tenant's is not looked at.
    const toNinety = await preview({ deletionDelay: 'P90D' });
    expect(toNinety.summary).toEqual({ pending: 3, moved: 3, later: 3, heldAtAnnounced: 0, remindersChanged: 3 });
    expect(toNinety.changes.map((change) => change.subscriptionId).sort()).toEqual(ours.map((ids) => ids.subscriptionId).sort());
    for (const change of toNinety.changes) {
      expect(change.movedByMs).toBe(30 * DAY_MS);
      expect(change.movedBy).toBe('+P30D');
      expect(change.fromDueAt).toBe(before.get(change.subscriptionId)?.deletion?.dueAt);
    }
    // A preview changes nothing.
    for (const ids of ours) expect(await view(ids)).toEqual(before.get(ids.subscriptionId));

    const ninety = await set({ deletionDelay: 'P90D' });
    expect(ninety).toMatchObject({ replanned: 3, version: { version: 1, actor: operator.actor, effective: { deletionDelay: 'P90D' } } });
    for (const change of toNinety.changes) {
      const ids = ours.find((candidate) => candidate.subscriptionId === change.subscriptionId) as Ids;
      const deletion = (await view(ids)).deletion;
      expect(deletion).toMatchObject({ dueAt: change.toDueAt, policyVersion: 1 });
      expect(deletion?.reminders.map((reminder) => reminder.at)).toEqual(change.toReminders);
      // Redis agrees: the new generation's job wakes at the first reminder still ahead; the old one is gone.
      await eventually(async () => {
        // BullMQ stores a delay from its own now: the run time may differ by the milliseconds in between, as the reconciler allows.
        const job = await jobOf(ids);
        expect(job.previousExists).toBe(false);
        expect(Math.abs((job.delayedUntil ?? 0) - Date.parse(change.toReminders[0] ?? ''))).toBeLessThan(1_000);
      });
    }
    expect(await view(other)).toEqual(before.get(other.subscriptionId));
    const timeline = await call<{ audit: { type: string; actor: { id: string }; reason: string }[] }>(
      'GET',
      `/v1/subscriptions/${ours[0]?.subscriptionId ?? ''}/timeline`,
    );
    expect(timeline.body.audit.find((line) => line.type === 'policy-replan')).toMatchObject({ actor: { id: operator.actor } });
    // The customer was told the new date.
    await eventually(() => {
      const told = h.lifecycle.filter(
        (message) => message.key === ours[0]?.subscriptionId && (message.value ?? '').includes('deletion-scheduled'),
      );
      expect(told.length).toBe(2);
    });

    // Back to 60: pending ones keep the 90 days announced to their customers; the preview says so.
    const backAsDraft = await preview({ deletionDelay: 'P60D' });
    expect(backAsDraft.summary).toMatchObject({ pending: 3, moved: 0, heldAtAnnounced: 0 });
    expect(backAsDraft.changes).toEqual([]);
    const backToPending = await preview({ deletionDelay: 'P60D' }, true);
    expect(backToPending.summary).toMatchObject({ pending: 3, moved: 0, heldAtAnnounced: 3 });
    for (const change of backToPending.changes) {
      expect(change.toDueAt).toBe(change.fromDueAt);
      expect(Date.parse(change.policyDueAt)).toBe(Date.parse(change.fromDueAt) - 30 * DAY_MS);
    }

    expect(await set({ deletionDelay: 'P60D' })).toMatchObject({ replanned: 0, version: { version: 2 } });
    const afterSixty = new Map<string, View>();
    for (const ids of ours) {
      const now = await view(ids);
      afterSixty.set(ids.subscriptionId, now);
      expect(now.deletion).toMatchObject({
        dueAt: toNinety.changes.find((c) => c.subscriptionId === ids.subscriptionId)?.toDueAt,
        policyVersion: 1,
      });
    }
    // A new suspension of the tenant gets 60 days, under version 2.
    const late: Ids = { ...newIds('pol'), tenantId };
    await h.produce(h.topics.customer, [suspendRequested(late)]);
    const lateState = await settledSuspended(late);
    expect(lateState?.deletion?.policyVersion).toBe(2);
    expect((lateState?.deletion?.dueAt ?? 0) - (lateState?.deletion?.scheduledAt ?? 0)).toBe(60 * DAY_MS);

    // Asked to apply to pending ones: never earlier than announced, exactly as that preview said.
    const applied = await set({ deletionDelay: 'P60D' }, true);
    expect(applied.version.version).toBe(3);
    for (const change of backToPending.changes) {
      const ids = ours.find((candidate) => candidate.subscriptionId === change.subscriptionId) as Ids;
      expect((await view(ids)).deletion).toMatchObject({ dueAt: change.toDueAt, policyVersion: 3 });
    }
  });

  it('lists and shows versions with who, why and when; refuses a draft that is no policy', async () => {
    const list = await call<{ current: { version: number }; versions: { version: number; actor: string; reason: string }[] }>(
      'GET',
      `/v1/tenants/${tenantId}/policy`,
    );
    expect(list.status).toBe(200);
    expect(list.body.versions.map((version) => version.version)).toEqual([3, 2, 1]);
    expect(list.body.versions[2]).toMatchObject(operator);
    const shown = await call<{ version: number; effective: { deletionDelay: string } }>('GET', `/v1/tenants/${tenantId}/policy/versions/1`);
    expect(shown.body).toMatchObject({ version: 1, effective: { deletionDelay: 'P90D' } });
    expect((await call('GET', `/v1/tenants/${tenantId}/policy/versions/9`)).status).toBe(404);
    const bad = await call<{ message: string }>('POST', `/v1/tenants/${tenantId}/policy/preview`, {
      body: { policy: { deletionDelay: 'P0D', extra: 1 } },
    });
    expect(bad.status).toBe(400);
    for (const [method, route] of [
      ['GET', `/v1/tenants/${tenantId}/policy`],
      ['POST', `/v1/tenants/${tenantId}/policy/preview`],
      ['POST', `/v1/tenants/${tenantId}/policy`],
    ] as const)
      expect((await call(method, route, method === 'GET' ? { token: null } : { token: null, body: {} })).status).toBe(401);
    expect(bad.body.message).toContain('deletionDelay');
  });

  it('the CLI previews, sets, lists and shows through the worker (--api), and says so without it', async () => {
    const cli = (args: readonly string[]) => runCliHere(['--api', h.baseUrl, ...args], { BILLING_ENFORCER_API_TOKEN: ADMIN_TOKEN });
    const previewed = await cli(['--json', 'policy', 'preview', tenantId, '--delay', 'P120D']);
    expect(previewed.code).toBe(0);
    const draft = JSON.parse(previewed.stdout) as PreviewBody;
    expect(draft.summary).toMatchObject({ pending: 4, later: 4 });
    const human = await cli(['policy', 'preview', tenantId, '--delay', 'P120D']);
    expect(human.stdout).toContain('preview only: nothing changed');
    expect(human.stdout).toContain('+P30D');
    const stored = await cli(['policy', 'set', tenantId, '--delay', 'P120D', '--reason', 'cli check', '--actor', 'cli@ops.example']);
    expect([stored.code, stored.stdout]).toEqual([0, expect.stringContaining('4 pending deletions re-planned')]);
    const listed = await cli(['policy', 'list', tenantId]);
    expect(listed.stdout).toContain('in force v4: delay P120D');
    expect((await cli(['policy', 'show', tenantId, '4'])).stdout).toContain('by cli@ops.example');
    const direct = await runCliHere(['policy', 'list', tenantId], {});
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toContain('pass --api');
  });

  it('the reconciler re-plans what a version stored elsewhere left pending, once (a crash before the re-plan, or a stale copy)', async () => {
    const tenant = `late-${randomUUID().slice(0, 8)}`;
    const ids: Ids = { ...newIds('pol'), tenantId: tenant };
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    const suspended = await settledSuspended(ids);
    // Stored as another process would, which then died before re-planning anything.
    const stored = await h.app.policies.policies.insert({
      tenantId: tenant,
      version: 1,
      override: { deletionDelay: 'P90D' },
      applyToPending: false,
      ...operator,
      createdAt: Date.now(),
    });
    expect(stored).toBe(true);
    expect((await view(ids)).deletion?.policyVersion).toBe(0);
    expect(await replanTenants(h.app.policies)).toBeGreaterThanOrEqual(1);
    const deletion = (await view(ids)).deletion;
    expect(deletion).toMatchObject({ dueAt: new Date((suspended?.deletion?.dueAt ?? 0) + 30 * DAY_MS).toISOString(), policyVersion: 1 });
    // Again: nothing left to do for this tenant.
    await replanTenants(h.app.policies);
    expect((await view(ids)).deletion).toEqual(deletion);
  });

  it('the console previews a draft from live data and stores it under the signed-in operator’s name', async () => {
    const tenant = `console-${randomUUID().slice(0, 8)}`;
    const ids: Ids = { ...newIds('pol'), tenantId: tenant };
    await h.produce(h.topics.customer, [suspendRequested(ids)]);
    const suspended = await settledSuspended(ids);
    const page = `${h.baseUrl}/admin/tenants/${tenant}/policy`;
    const signIn = await fetch(`${h.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.baseUrl },
      body: new URLSearchParams({ name: 'Ada <b>Lovelace</b>', token: ADMIN_TOKEN }),
      redirect: 'manual',
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toContain('be_admin=');
    const previewed = await fetch(`${page}?${new URLSearchParams({ preview: '1', delay: 'P90D' }).toString()}`, { headers: { cookie } });
    const text = await previewed.text();
    expect(previewed.status).toBe(200);
    expect(text).toContain('1 pending deletions: 1 would move (1 later)');
    expect(text).toContain(ids.subscriptionId);
    expect((await view(ids)).deletion?.policyVersion).toBe(0);
    const csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';
    const stored = await fetch(page, {
      method: 'POST',
      headers: { cookie, origin: h.baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, delay: 'P90D', reason: 'EU retention' }),
      redirect: 'manual',
    });
    expect(stored.status).toBe(303);
    expect((await view(ids)).deletion).toMatchObject({
      dueAt: new Date((suspended?.deletion?.dueAt ?? 0) + 30 * DAY_MS).toISOString(),
      policyVersion: 1,
    });
    const [version] = await h.app.policies.policies.list(tenant, 1);
    expect(version).toMatchObject({ actor: 'Ada <b>Lovelace</b>', reason: 'EU retention' });
    // Shown back escaped: an operator's name is text, never markup.
    const listed = await (await fetch(page, { headers: { cookie } })).text();
    expect(listed).toContain('Ada &lt;b&gt;Lovelace&lt;/b&gt;');
    const refused = await fetch(`${page}?${new URLSearchParams({ preview: '1', delay: 'soon' }).toString()}`, { headers: { cookie } });
    expect(await refused.text()).toContain('Not a policy: deletionDelay');
  });
});
